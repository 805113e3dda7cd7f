#!/usr/bin/env bash
# Shared helpers of the platform repository's publishing steps (sourced, not run).
#
# Identity: the step's Bitbucket OIDC token against Vault's JWT mount (VAULT_JWT_PATH, default
# `bitbucket`) with the role `platform-ci` (components/platform/cosign.py): it may sign with the
# Transit key and read the platform robot at `secret/platform/harbor-ci`, nothing else.
# Signing: `cosign sign --key hashivault://<key>` -- Vault signs, no key ever reaches the runner.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
die() { echo "error: $*" >&2; exit 1; }
need() { for v in "$@"; do [ -n "${!v:-}" ] || die "variable $v is not set (see pipelines/platform/bitbucket-pipelines.yml)"; done; }

registry() { echo "${IDP_REGISTRY:-harbor.${IDP_DOMAIN:?set IDP_DOMAIN or IDP_REGISTRY}}"; }

vault_login() {
  need VAULT_ADDR BITBUCKET_STEP_OIDC_TOKEN
  export VAULT_ADDR
  VAULT_TOKEN=$(vault write -field=token "auth/${VAULT_JWT_PATH:-bitbucket}/login" role=platform-ci jwt="$BITBUCKET_STEP_OIDC_TOKEN")
  export VAULT_TOKEN
}

# Log docker, helm and cosign in to Harbor as the platform robot (push to `platform` and `library`).
registry_login() {
  local path=${HARBOR_VAULT_PATH:-secret/platform/harbor-ci} user password
  user=$(vault kv get -field=username "$path"); password=$(vault kv get -field=password "$path")
  [ -n "$user" ] && [ -n "$password" ] || die "platform robot credentials missing at Vault $path"
  printf '%s' "$password" | docker login "$(registry)" --username "$user" --password-stdin >/dev/null
  printf '%s' "$password" | helm registry login "$(registry)" --username "$user" --password-stdin >/dev/null
}

# Sign one image or OCI artifact by digest with the platform's Transit key.
sign() {
  export TRANSIT_SECRET_ENGINE_PATH=${VAULT_TRANSIT_PATH:-transit}
  cosign sign --yes --key "hashivault://${COSIGN_KEY:-cosign}" --tlog-upload=false "$@"
}
