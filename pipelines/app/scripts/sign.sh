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
# Written by the platform stack (components/platform/cosign.py): field cosign.key, a PEM key.
path=${COSIGN_VAULT_PATH:-secret/platform/cosign}
workdir=$(mktemp -d); chmod 700 "$workdir"; trap 'rm -rf "$workdir"' EXIT
vault_field "$path" cosign.key > "$workdir/key.pem"
[ -s "$workdir/key.pem" ] || die "cosign key missing at Vault $path (field cosign.key)"
# cosign signs with its own encrypted key format: import the PEM under a one-time password.
COSIGN_PASSWORD=$(head -c 24 /dev/urandom | base64)
export COSIGN_PASSWORD
cosign import-key-pair --key "$workdir/key.pem" --output-key-prefix "$workdir/import" >/dev/null
cosign sign --yes --key "$workdir/import.key" --tlog-upload=false \
  -a "commit=$BITBUCKET_COMMIT" -a "team=$APP_TEAM" "$IMAGE_DIGEST"
echo "signed $IMAGE_DIGEST"
