#!/usr/bin/env bash
# Installs the Debian packages whose programs the checks run, when they are absent:
#   chromium, fonts-dejavu-core   the portal test loads the built site in headless Chromium
#   prometheus                    promtool checks the alert rules, dashboard queries and scrape relabelling
#   prometheus-alertmanager       amtool checks Alertmanager's routing to Teams
# (etcd for the local API server is installed by scripts/toolchain.sh, beside the tools it serves.)
# Safe to run again: it installs nothing when every program is on PATH. Without root or apt-get it
# says what is missing and exits 0; the tests that need a program then skip and name it.
set -uo pipefail

declare -A PACKAGE_OF=([chromium]=chromium [promtool]=prometheus [amtool]=prometheus-alertmanager)
missing=()
for program in "${!PACKAGE_OF[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$program]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[[ " ${missing[*]} " == *" chromium "* ]] && missing+=(fonts-dejavu-core)

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: missing ${missing[*]}; install them with apt-get (the tests that need them skip)" >&2
  exit 0
fi
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
echo "system-packages: installing ${missing[*]}"
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "system-packages: apt-get failed ($(grep -m1 -E '^E:' "$log")); the tests that need these skip" >&2
fi
rm -f "$log"
exit 0
