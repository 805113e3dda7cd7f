#!/usr/bin/env bash
# Sign what Harbor mirrors (platform/images.yaml -> <registry>/library/...), so tenant workloads
# that use a mirrored image pass Kyverno's verify-image-signatures. Runs after the replication
# (scheduled daily, and after every platform deployment); signing an image signed already adds
# nothing. An image Harbor has not replicated yet is reported and skipped, not fatal: the next
# run signs it.
source "$(dirname "$0")/lib.sh"
vault_login
registry_login
missing=0
while read -r ref; do
  if digest=$(docker buildx imagetools inspect "$ref" --format '{{json .Manifest.Digest}}' 2>/dev/null | tr -d '"') && [ -n "$digest" ]; then
    sign "${ref%:*}@$digest"
  else
    echo "not mirrored yet: $ref"; missing=$((missing + 1))
  fi
done < <(PYTHONPATH="$REPO_ROOT" python3 -m idpctl mirror list --registry "$(registry)")
echo "signed mirrored images (${missing} not replicated yet)"
