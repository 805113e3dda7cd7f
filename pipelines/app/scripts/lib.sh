#!/usr/bin/env bash
# Shared helpers of the application pipeline steps (sourced, not run).
#
# Vault login: Bitbucket's OIDC token (`oidc: true` on the step) against the platform's JWT auth
# mount (VAULT_JWT_PATH, default `bitbucket`) with the project's role `project-<project>-ci`
# (created by the projects stack, components/tenant/ci.py). No long-lived token is stored in the
# repository or its variables.
#
# GitOps layout: `idpctl app path` / `--gitops-root` (components/golden_path/layout.py); the
# scripts never spell the folder layout themselves.
set -euo pipefail

IDP_HOME=${IDP_HOME:-/opt/idp}
IDPCTL=(python3 -m idpctl)
export PYTHONPATH="$IDP_HOME${PYTHONPATH:+:$PYTHONPATH}"

die() { echo "error: $*" >&2; exit 1; }
need() { for v in "$@"; do [ -n "${!v:-}" ] || die "variable $v is not set (see pipelines/app/README.md)"; done; }

# Read name/team/project from the app's file through idpctl, the same parser the render uses.
app_identity() {
  local file=${IDP_APP_FILE:-platform.yaml}
  [ -f "$file" ] || die "$file not found (set IDP_APP_FILE to platform.yaml, score.yaml or values.yaml)"
  "${IDPCTL[@]}" app validate "$file" >/dev/null
  eval "$(python3 - "$file" <<'PY'
import sys
from pathlib import Path
from components.golden_path import render
from components.golden_path.values import to_values
kind, source, spec = render.load_spec(Path(sys.argv[1]))
app = to_values(spec, "production")["app"] if spec else source.data["app"]
repo = (spec.image.repository if spec else source.data.get("image", {}).get("repository")) or f"{app['project']}/{app['name']}"
print(f"APP_NAME={app['name']} APP_TEAM={app['team']} APP_PROJECT={app['project']} APP_REPOSITORY={repo}")
PY
)"
  export APP_NAME APP_TEAM APP_PROJECT APP_REPOSITORY
}

vault_login() {
  need VAULT_ADDR
  export VAULT_ADDR
  [ -n "${BITBUCKET_STEP_OIDC_TOKEN:-}" ] || die "no OIDC token: set 'oidc: true' on the step (Vault role project-${APP_PROJECT}-ci)"
  VAULT_TOKEN=$(vault write -field=token "auth/${VAULT_JWT_PATH:-bitbucket}/login" \
    role="project-${APP_PROJECT}-ci" jwt="$BITBUCKET_STEP_OIDC_TOKEN")
  export VAULT_TOKEN
}

# The app's folder in the GitOps repository: app_dir [<env> [<pr>]].
app_dir() {
  "${IDPCTL[@]}" app path "${IDP_APP_FILE:-platform.yaml}" ${1:+--env "$1"} ${2:+--pr "$2"}
}

# Clone the GitOps repository into $1/gitops.
gitops_clone() {
  git clone --quiet --depth 50 --branch "${GITOPS_BRANCH:-main}" "$GITOPS_REPO" "$1/gitops"
}

# A field of a KV v2 secret, or empty when the field or secret does not exist.
vault_field() { vault kv get -field="$2" "$1" 2>/dev/null || true; }

registry() { echo "${IDP_REGISTRY:-harbor.${IDP_DOMAIN:?set IDP_DOMAIN or IDP_REGISTRY}}"; }
image_ref() { echo "$(registry)/${APP_REPOSITORY}:${BITBUCKET_COMMIT:?}"; }

registry_login() {
  # Written by the tenant project (components/tenant/vault.py): registry, username, password.
  local path=${HARBOR_VAULT_PATH:-${APP_PROJECT}/harbor}
  local user password
  user=$(vault_field "$path" username); password=$(vault_field "$path" password)
  [ -n "$user" ] && [ -n "$password" ] || die "Harbor robot credentials missing at Vault $path (username, password)"
  printf '%s' "$password" | docker login "$(registry)" --username "$user" --password-stdin >/dev/null
  # trivy and cosign read the same Docker config.
}

# Commit one directory of the GitOps checkout and push, retrying on a concurrent push.
commit_and_push() {
  local repo=$1 path=$2 message=$3
  git -C "$repo" add --all -- "$path"
  if git -C "$repo" diff --cached --quiet; then echo "GitOps repository already up to date"; return 0; fi
  git -C "$repo" -c user.name="${GIT_AUTHOR_NAME:-idp-pipeline}" -c user.email="${GIT_AUTHOR_EMAIL:-idp-pipeline@invalid}" \
    commit --quiet -m "$message"
  for attempt in 1 2 3; do
    git -C "$repo" push --quiet origin "HEAD:${GITOPS_BRANCH:-main}" && { echo "pushed: $message"; return 0; }
    git -C "$repo" pull --quiet --rebase origin "${GITOPS_BRANCH:-main}"
  done
  die "could not push to the GitOps repository after 3 attempts"
}

# Report a URL on the commit the pipeline runs for (Bitbucket build status, shown on the pull
# request): report_status <key> <name> <url> <description>. The token is the project's Vault
# `<project>/ci` field `bitbucket-token` (a repository access token); without one the URL is only
# printed.
report_status() {
  local key=$1 name=$2 url=$3 description=$4 token=""
  echo "$name: $url"
  if [ -n "${VAULT_ADDR:-}" ] && [ -n "${BITBUCKET_STEP_OIDC_TOKEN:-}" ]; then
    vault_login
    token=$(vault_field "${APP_PROJECT}/ci" bitbucket-token)
  fi
  [ -n "$token" ] || { echo "no bitbucket-token at Vault ${APP_PROJECT}/ci: status not reported" >&2; return 0; }
  need BITBUCKET_REPO_FULL_NAME BITBUCKET_COMMIT
  python3 - "$key" "$name" "$url" "$description" > "${TMPDIR:-/tmp}/idp-status.json" <<'PY'
import json, sys
key, name, url, description = sys.argv[1:5]
print(json.dumps({"state": "SUCCESSFUL", "key": key, "name": name, "url": url, "description": description[:255]}))
PY
  printf 'header = "Authorization: Bearer %s"\n' "$token" | curl -fsS -K - -X POST -H 'Content-Type: application/json' \
    --data @"${TMPDIR:-/tmp}/idp-status.json" \
    "${BITBUCKET_API:-https://api.bitbucket.org/2.0}/repositories/${BITBUCKET_REPO_FULL_NAME}/commit/${BITBUCKET_COMMIT}/statuses/build" >/dev/null
  echo "reported $url on ${BITBUCKET_COMMIT:0:12}"
}
