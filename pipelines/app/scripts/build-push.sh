#!/usr/bin/env bash
# Build the image from the repository's Dockerfile and push it to Harbor tagged with the commit.
# Writes .idp/image.env (IMAGE and IMAGE_DIGEST) for the scan and sign steps.
source "$(dirname "$0")/lib.sh"
need BITBUCKET_COMMIT
app_identity
vault_login
registry_login
image=$(image_ref)
docker build --pull --label "org.opencontainers.image.revision=$BITBUCKET_COMMIT" \
  --label "org.opencontainers.image.source=${BITBUCKET_GIT_HTTP_ORIGIN:-unknown}" -t "$image" .
docker push "$image"
digest=$(docker inspect --format '{{index .RepoDigests 0}}' "$image")
mkdir -p .idp
printf 'IMAGE=%s\nIMAGE_DIGEST=%s\n' "$image" "$digest" > .idp/image.env
echo "pushed $digest"
