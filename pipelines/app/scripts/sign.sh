#!/usr/bin/env bash
# Sign the pushed image (by digest) with the platform cosign key kept in Vault, so Kyverno's
# verifyImages admits it. The key never touches the disk outside a private temporary directory
# and no transparency-log upload happens (private registry).
source "$(dirname "$0")/lib.sh"
app_identity
vault_login
registry_login
# shellcheck disable=SC1091
source .idp/image.env
path=${COSIGN_VAULT_PATH:-platform/cosign}
workdir=$(mktemp -d); chmod 700 "$workdir"; trap 'rm -rf "$workdir"' EXIT
vault_field "$path" private-key > "$workdir/cosign.key"
[ -s "$workdir/cosign.key" ] || die "cosign private key missing at Vault $path (field private-key)"
COSIGN_PASSWORD=$(vault_field "$path" password) cosign sign --yes --key "$workdir/cosign.key" \
  --tlog-upload=false -a "commit=$BITBUCKET_COMMIT" -a "team=$APP_TEAM" "$IMAGE_DIGEST"
echo "signed $IMAGE_DIGEST"
