#!/usr/bin/env bash
# SonarQube analysis. The token is read from Vault (<project>/ci, field sonar-token): when it is
# empty the project has not been onboarded to SonarQube yet, so the step is skipped without
# failing; otherwise the quality gate result decides (sonar.qualitygate.wait fails the step).
source "$(dirname "$0")/lib.sh"
app_identity
vault_login
token=$(vault_field "${SONAR_VAULT_PATH:-${APP_PROJECT}/ci}" sonar-token)
if [ -z "$token" ]; then
  echo "SonarQube skipped: no sonar-token in Vault ${SONAR_VAULT_PATH:-${APP_PROJECT}/ci}"
  exit 0
fi
need SONAR_HOST_URL
SONAR_TOKEN=$token sonar-scanner \
  -Dsonar.host.url="$SONAR_HOST_URL" \
  -Dsonar.projectKey="${SONAR_PROJECT_KEY:-${APP_PROJECT}_${APP_NAME}}" \
  -Dsonar.projectVersion="${BITBUCKET_COMMIT:-local}" \
  -Dsonar.qualitygate.wait=true \
  -Dsonar.qualitygate.timeout="${SONAR_GATE_TIMEOUT:-300}"
