#!/usr/bin/env bash
# Render the app for an environment and commit values.yaml + application.yaml to the GitOps
# repository, where the project's ApplicationSet turns the folder into an Application.
#   deploy.sh staging | production | preview <PR>
# The folder is `idpctl app path` (apps/<project>/<app>/<env>, previews .../pr-<N>). A preview
# reports its URL back to the pull request's commit (report_status) and expires after
# PREVIEW_TTL_HOURS without a new push (preview-expire.sh).
source "$(dirname "$0")/lib.sh"
env=${1:?environment}; pr=${2:-}
if [ "$env" = preview ] && [[ "${BITBUCKET_BRANCH:-}" == preview/* ]]; then
  # Branches preview/<app>/<desc> are served by the project's preview ApplicationSet (it reads the
  # app's values file from the pull request); a second Application would fight over the namespace.
  echo "preview of ${BITBUCKET_BRANCH} is managed by the project's preview ApplicationSet; nothing to commit"
  exit 0
fi
need BITBUCKET_COMMIT GITOPS_REPO
app_identity
file=${IDP_APP_FILE:-platform.yaml}
dir=$(app_dir "$env" "$pr")
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
gitops_clone "$workdir"
"${IDPCTL[@]}" app render "$file" --env "$env" --image-tag "$BITBUCKET_COMMIT" ${pr:+--pr "$pr"} \
  --gitops-root "$workdir/gitops" ${IDP_REGISTRY:+--registry "$IDP_REGISTRY"} ${IDP_DOMAIN:+--domain "$IDP_DOMAIN"}
commit_and_push "$workdir/gitops" "$dir" "deploy(${APP_PROJECT}/${APP_NAME}): ${env}${pr:+ pr-$pr} at ${BITBUCKET_COMMIT:0:12}"
if [ "$env" = preview ]; then
  host=$(python3 -c 'import sys,yaml; print((yaml.safe_load(open(sys.argv[1])).get("ingress") or {}).get("host") or "")' \
    "$workdir/gitops/$dir/values.yaml")
  [ -n "$host" ] || { echo "preview has no ingress host; nothing to report"; exit 0; }
  report_status "idp-preview-${pr}" "Preview pr-${pr}" "https://${host}" \
    "preview ${APP_PROJECT}-pr-${pr}; removed ${PREVIEW_TTL_HOURS:-72}h after the last push or when the pull request closes"
fi
