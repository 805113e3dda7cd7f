#!/usr/bin/env bash
# Manual promotion: production gets the image tag that staging runs (read from the GitOps
# repository), rendered with production's settings.
source "$(dirname "$0")/lib.sh"
need GITOPS_REPO
app_identity
file=${IDP_APP_FILE:-platform.yaml}
root="apps/${APP_PROJECT}/${APP_NAME}"
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
git clone --quiet --depth 1 --branch "${GITOPS_BRANCH:-main}" "$GITOPS_REPO" "$workdir/gitops"
"${IDPCTL[@]}" app promote "$file" --from staging --to production --root "$workdir/gitops/$root" \
  ${IDP_REGISTRY:+--registry "$IDP_REGISTRY"} ${IDP_DOMAIN:+--domain "$IDP_DOMAIN"}
tag=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["image"]["tag"])' "$workdir/gitops/$root/production/values.yaml")
commit_and_push "$workdir/gitops" "$root/production" "promote(${APP_PROJECT}/${APP_NAME}): production at ${tag:0:12}"
