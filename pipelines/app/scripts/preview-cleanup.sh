#!/usr/bin/env bash
# Remove a pull request's preview: deleting its Application from the GitOps repository makes Argo
# CD delete everything it deployed (the Application carries the resources finalizer).
source "$(dirname "$0")/lib.sh"
need GITOPS_REPO PR_ID
app_identity
dir="apps/${APP_PROJECT}/${APP_NAME}/preview-pr-${PR_ID}"
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
git clone --quiet --depth 1 --branch "${GITOPS_BRANCH:-main}" "$GITOPS_REPO" "$workdir/gitops"
[ -d "$workdir/gitops/$dir" ] || { echo "no preview at $dir"; exit 0; }
rm -rf -- "${workdir:?}/gitops/$dir"
commit_and_push "$workdir/gitops" "$dir" "preview(${APP_PROJECT}/${APP_NAME}): remove pr-${PR_ID}"
