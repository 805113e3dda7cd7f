#!/usr/bin/env bash
# Sign the pushed image (by digest) with the platform's Vault Transit key, so Kyverno's
# verifyImages admits it. cosign sends the digest to Vault (`transit/sign/<key>`) and gets the
# signature back: the pipeline never holds key material, and its Vault role can sign only.
# No transparency-log upload happens (private registry).
source "$(dirname "$0")/lib.sh"
app_identity
vault_login
registry_login
# shellcheck disable=SC1091
source .idp/image.env
# cosign's hashivault KMS reads VAULT_ADDR, VAULT_TOKEN and the Transit mount from the environment.
export TRANSIT_SECRET_ENGINE_PATH=${VAULT_TRANSIT_PATH:-transit}
cosign sign --yes --key "hashivault://${COSIGN_KEY:-cosign}" --tlog-upload=false \
  -a "commit=$BITBUCKET_COMMIT" -a "team=$APP_TEAM" "$IMAGE_DIGEST"
echo "signed $IMAGE_DIGEST"
