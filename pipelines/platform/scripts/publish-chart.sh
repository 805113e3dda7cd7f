#!/usr/bin/env bash
# Package charts/platform-app, push it to oci://<registry>/platform and sign it by digest.
# The version is Chart.yaml's; Harbor refuses nothing, so an existing version is not pushed again
# (Argo CD pins versions: a changed chart must bump its version).
source "$(dirname "$0")/lib.sh"
vault_login
registry_login
chart="$REPO_ROOT/charts/platform-app"
version=$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$chart/Chart.yaml")
ref="$(registry)/${PLATFORM_PROJECT:-platform}/platform-app"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
if helm show chart "oci://$ref" --version "$version" >/dev/null 2>&1; then
  echo "platform-app $version is already published; bump charts/platform-app/Chart.yaml to publish a change"
  exit 0
fi
helm lint "$chart"
helm package "$chart" --destination "$out" >/dev/null
push=$(helm push "$out/platform-app-$version.tgz" "oci://$(registry)/${PLATFORM_PROJECT:-platform}" 2>&1)
echo "$push"
digest=$(printf '%s\n' "$push" | sed -n 's/^Digest: //p')
[ -n "$digest" ] || die "helm push printed no digest"
sign "$ref@$digest"
echo "published and signed $ref:$version ($digest)"
