#!/usr/bin/env bash
# Build the developer portal image (pipelines/platform/portal.Containerfile, the site `make portal`
# built into site/), push it to <registry>/platform/portal:<version> and sign it by digest. The
# version is the release tag without its leading v (BITBUCKET_TAG, or PORTAL_VERSION by hand); the
# platform stack runs it once idp:platform.portal.image.tag names it. The base image is Harbor's
# mirror of the unprivileged nginx at the exact tag platform/images.yaml lists, the image the portal
# Deployment is built to run (components/platform/portal.py: base_image).
source "$(dirname "$0")/lib.sh"
version=${PORTAL_VERSION:-${BITBUCKET_TAG:-}}
version=${version#v}
[ -n "$version" ] || die "set BITBUCKET_TAG (a release tag v<version>) or PORTAL_VERSION"
[[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "version $version is not a valid image tag"
[ -f "$REPO_ROOT/site/index.html" ] || die "site/index.html is missing: run make portal ENV=<env> first"
base=$(PYTHONPATH="$REPO_ROOT" python3 - "$(registry)" <<'PY'
import sys
from components.platform.portal import base_image
try:
    print(base_image(sys.argv[1]))
except ValueError as error:
    sys.exit(f"error: {error}")
PY
)
vault_login
registry_login
image="$(registry)/${PLATFORM_PROJECT:-platform}/portal:$version"
docker build --pull -f "$REPO_ROOT/pipelines/platform/portal.Containerfile" --build-arg "BASE=$base" \
  --label "org.opencontainers.image.base.name=$base" \
  --label "org.opencontainers.image.revision=${BITBUCKET_COMMIT:-unknown}" -t "$image" "$REPO_ROOT"
docker push "$image"
digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$image")
sign "$digest"
echo "published and signed $digest"
