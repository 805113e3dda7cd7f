#!/usr/bin/env bash
# Installs the headless browser the portal test uses (Debian's `chromium`) when it is absent.
# Called by `make portal-test`; safe to run again (does nothing when chromium is on PATH).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  chromium --version
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "portal-browser: chromium is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
