#!/usr/bin/env bash
# Build the ci-tools image (pipelines/app/ci-tools/Dockerfile) with the platform root CA baked
# in, push it to <registry>/platform/ci-tools:<version> and sign it by digest. The version is the
# one the app pipeline template pins (pipelines/app/bitbucket-pipelines.yml), so both move together.
source "$(dirname "$0")/lib.sh"
need ROOT_CA_FILE
vault_login
registry_login
version=$(python3 - "$REPO_ROOT/pipelines/app/bitbucket-pipelines.yml" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["image"].rsplit(":", 1)[1])
PY
)
image="$(registry)/${PLATFORM_PROJECT:-platform}/ci-tools:$version"
mkdir -p "$REPO_ROOT/.idp-ca"
cp "$ROOT_CA_FILE" "$REPO_ROOT/.idp-ca/platform-root-ca.crt"
docker build --pull -f "$REPO_ROOT/pipelines/app/ci-tools/Dockerfile" \
  --label "org.opencontainers.image.revision=${BITBUCKET_COMMIT:-unknown}" -t "$image" "$REPO_ROOT"
docker push "$image"
digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$image")
sign "$digest"
echo "published and signed $digest"
