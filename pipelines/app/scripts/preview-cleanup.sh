#!/usr/bin/env bash
# Remove a pull request's preview: deleting its folder from the GitOps repository makes the
# project's ApplicationSet delete the Application, and Argo CD everything it deployed.
source "$(dirname "$0")/lib.sh"
need GITOPS_REPO PR_ID
app_identity
dir=$(app_dir preview "$PR_ID")
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
gitops_clone "$workdir"
[ -d "$workdir/gitops/$dir" ] || { echo "no preview at $dir"; exit 0; }
rm -rf -- "${workdir:?}/gitops/$dir"
commit_and_push "$workdir/gitops" "$dir" "preview(${APP_PROJECT}/${APP_NAME}): remove pr-${PR_ID}"
