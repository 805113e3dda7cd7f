#!/usr/bin/env bash
# Trivy image scan: the step fails when the image has more than MAX_CRITICAL (default 3)
# CRITICAL vulnerabilities. `trivy-gate.sh --report FILE` only evaluates an existing JSON report.
set -euo pipefail
MAX_CRITICAL=${MAX_CRITICAL:-3}

count_critical() {
  # Each vulnerability once, even when it is found in several layers or packages' targets.
  jq '[.Results[]? | .Vulnerabilities[]? | select(.Severity == "CRITICAL") | .VulnerabilityID + " " + .PkgName]
      | unique | length' "$1"
}

gate() {
  local report=$1 critical
  critical=$(count_critical "$report")
  echo "CRITICAL vulnerabilities: $critical (allowed: $MAX_CRITICAL)"
  if [ "$critical" -gt "$MAX_CRITICAL" ]; then
    jq -r '[.Results[]? | .Vulnerabilities[]? | select(.Severity == "CRITICAL") | "  \(.VulnerabilityID) \(.PkgName) \(.InstalledVersion) -> \(.FixedVersion // "no fix")"] | unique | .[]' "$report"
    echo "error: more than $MAX_CRITICAL critical vulnerabilities; update the base image or the affected packages" >&2
    return 1
  fi
}

if [ "${1:-}" = "--report" ]; then
  gate "${2:?report file}"
  exit $?
fi

source "$(dirname "$0")/lib.sh"
app_identity
vault_login
registry_login
# shellcheck disable=SC1091
source .idp/image.env
mkdir -p .idp
trivy image --quiet --format json --output .idp/trivy.json \
  ${TRIVY_DB_REPOSITORY:+--db-repository "$TRIVY_DB_REPOSITORY"} "$IMAGE_DIGEST"
gate .idp/trivy.json
