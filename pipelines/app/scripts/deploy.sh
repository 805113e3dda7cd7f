#!/usr/bin/env bash
# Render the app for an environment and commit values.yaml + application.yaml to the GitOps
# repository, where Argo CD picks the Application up.  deploy.sh staging | production | preview <PR>
#
# Layout in the GitOps repository: apps/<project>/<app>/<env>/ (previews: .../preview-pr-<N>/).
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
dir="apps/${APP_PROJECT}/${APP_NAME}/${env}${pr:+-pr-$pr}"
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
git clone --quiet --depth 1 --branch "${GITOPS_BRANCH:-main}" "$GITOPS_REPO" "$workdir/gitops"
"${IDPCTL[@]}" app render "$file" --env "$env" --image-tag "$BITBUCKET_COMMIT" ${pr:+--pr "$pr"} \
  --out "$workdir/gitops/$dir" ${IDP_REGISTRY:+--registry "$IDP_REGISTRY"} ${IDP_DOMAIN:+--domain "$IDP_DOMAIN"}
commit_and_push "$workdir/gitops" "$dir" "deploy(${APP_PROJECT}/${APP_NAME}): ${env}${pr:+ pr-$pr} at ${BITBUCKET_COMMIT:0:12}"
