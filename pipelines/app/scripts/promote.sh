#!/usr/bin/env bash
# Manual promotion: production gets the image tag that staging runs (read from the GitOps
# repository), rendered with production's settings.
source "$(dirname "$0")/lib.sh"
need GITOPS_REPO
app_identity
file=${IDP_APP_FILE:-platform.yaml}
dir=$(app_dir production)
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
gitops_clone "$workdir"
"${IDPCTL[@]}" app promote "$file" --from staging --to production --gitops-root "$workdir/gitops" \
  ${IDP_REGISTRY:+--registry "$IDP_REGISTRY"} ${IDP_DOMAIN:+--domain "$IDP_DOMAIN"}
tag=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["image"]["tag"])' "$workdir/gitops/$dir/values.yaml")
commit_and_push "$workdir/gitops" "$dir" "promote(${APP_PROJECT}/${APP_NAME}): production at ${tag:0:12}"
