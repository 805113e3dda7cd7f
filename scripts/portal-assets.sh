#!/usr/bin/env bash
# Puts the Mermaid runtime the portal's diagrams need into docs/assets/javascripts/ (ignored by git).
#
# MkDocs Material renders ```mermaid blocks in the browser; without a local copy it would load
# Mermaid from unpkg.com, which an on-premises network usually cannot reach. The file comes from
# the npm registry at a pinned version (`npm pack`, no install, no scripts run). Without npm the
# portal still builds; diagrams then show as their Mermaid source.
set -euo pipefail

MERMAID_VERSION="${MERMAID_VERSION:-11.17.2}"   # Material 9.8 is tested against Mermaid 11
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/docs/assets/javascripts/mermaid.min.js"
STAMP="$DEST.version"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/idp-portal"

if [ -f "$DEST" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$MERMAID_VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "portal-assets: npm not found; diagrams will show as Mermaid source" >&2
  exit 0
fi
mkdir -p "$CACHE" "$(dirname "$DEST")"
tarball="$CACHE/mermaid-$MERMAID_VERSION.tgz"
if [ ! -f "$tarball" ] && ! (cd "$CACHE" && npm pack --silent "mermaid@$MERMAID_VERSION" >/dev/null); then
  echo "portal-assets: npm could not fetch mermaid@$MERMAID_VERSION; diagrams will show as Mermaid source" >&2
  exit 0
fi
tar -xzf "$tarball" -C "$CACHE" package/dist/mermaid.min.js
mv "$CACHE/package/dist/mermaid.min.js" "$DEST"
echo "$MERMAID_VERSION" > "$STAMP"
echo "portal-assets: Mermaid $MERMAID_VERSION -> ${DEST#$ROOT/}"
