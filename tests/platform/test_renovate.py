"""Item 9: the Renovate CronJob for Bitbucket Server with its token synced from Vault by ESO, and the
repository's own renovate.json that keeps chart versions, mirrored images and Python pins current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from stacks.config import ConfigError, load_environment
from tests.platform.helpers import APPLICATION, chart_registration, chart_values, lab_config, obj, one, render_platform, waits_for

REPO = Path(__file__).resolve().parents[2]
RENOVATE_JSON = json.loads((REPO / "renovate.json").read_text())


def test_token_comes_from_vault_through_the_platform_store(lab):
    external = obj(lab, "ExternalSecret", "renovate-env", "renovate")
    spec = external["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault-platform"}
    assert spec["target"]["name"] == "renovate-env"
    assert spec["data"] == [{"secretKey": "RENOVATE_TOKEN", "remoteRef": {"key": "platform/renovate", "property": "token"}}]
    # The store serves the renovate namespace (ESO component's condition).
    store = obj(lab, "ClusterSecretStore", "vault-platform")
    assert "renovate" in store["spec"]["conditions"][0]["namespaces"]
    # ...and the ExternalSecret is created once ESO and its store exist.
    assert waits_for(lab, one(lab, "kubernetes:external-secrets.io/v1:ExternalSecret", "renovate-token"),
                     one(lab, "kubernetes:external-secrets.io/v1:ClusterSecretStore", "external-secrets-platform-store"))


def test_cronjob_runs_against_bitbucket_server_without_a_token_in_values(lab):
    values = chart_values(lab, "renovate")
    assert values["existingSecret"] == "renovate-env"
    config = json.loads(values["renovate"]["config"])
    assert config["platform"] == "bitbucket-server"
    assert config["endpoint"] == "https://bitbucket.lab.idp.internal/"
    assert config["repositories"] == ["PLAT/idp", "PLAT/gitops"]
    assert "token" not in config and "token" not in json.dumps(values).lower().replace("renovate_token", "")
    assert values["cronjob"]["schedule"] == "0 1 * * *" and values["cronjob"]["concurrencyPolicy"] == "Forbid"
    assert values["resources"]["requests"]["cpu"] and values["resources"]["limits"]["memory"]
    # The restricted namespace needs these.
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_oci_chart_is_pinned_and_argocd_strips_the_scheme(lab):
    app = chart_registration(lab, "renovate")
    assert app.type == APPLICATION
    source = app.inputs["spec"]["source"]
    assert source == {**source, "repoURL": "ghcr.io/renovatebot/charts", "chart": "renovate", "targetRevision": "46.254.2"}


def test_renovate_without_external_secrets_is_rejected():
    config = lab_config()
    config["idp:platform"]["externalSecrets"] = {"enabled": False}
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert any(line.startswith("config error: idp:platform.renovate.enabled: needs platform.externalSecrets") for line in caught.value.lines)


def test_renovate_is_off_until_configured():
    config = lab_config()
    del config["idp:platform"]["renovate"]
    result = render_platform(config)
    assert not [r for r in result.resources if "renovate" in r.name]


# --- renovate.json ------------------------------------------------------------------------------


def _python_regex(renovate_regex: str) -> re.Pattern:
    return re.compile(renovate_regex.replace("(?<", "(?P<"))


def _manager(pattern_fragment: str) -> list[dict]:
    return [m for m in RENOVATE_JSON["customManagers"] if any(pattern_fragment in p for p in m["managerFilePatterns"])]


def test_every_chart_pin_in_the_components_is_seen_by_renovate():
    managers = _manager("components/platform")
    assert {m["datasourceTemplate"] for m in managers} == {"helm", "docker"}
    found: dict[str, str] = {}
    for path in sorted((REPO / "components" / "platform").glob("*.py")):
        text = path.read_text()
        expected = len(re.findall(r"ChartRef\(\s*repo=", text))
        matches = [m.groupdict() for manager in managers for rx in manager["matchStrings"] for m in _python_regex(rx).finditer(text)]
        assert len(matches) == expected, f"{path.name}: {expected} ChartRef pins, Renovate sees {len(matches)}"
        for m in matches:
            found[m.get("depName") or m["chart"]] = m["currentValue"]
    for chart, version in {"traefik": "41.3.0", "cert-manager": "v1.21.1", "argo-cd": "10.1.1", "argo-rollouts": "2.41.0", "harbor": "1.19.1", "renovate": "46.254.2"}.items():
        assert found[chart] == version


def test_every_mirrored_image_is_seen_by_renovate():
    (manager,) = _manager("platform/images")
    text = (REPO / "platform" / "images.yaml").read_text()
    listed = yaml.safe_load(text)["images"]
    seen = [f"{m['depName']}:{m['currentValue']}" for rx in manager["matchStrings"] for m in _python_regex(rx).finditer(text)]
    assert seen == listed


def test_python_pins_are_left_to_the_pip_manager():
    requirements = (REPO / "requirements.txt").read_text().splitlines()
    pins = [line for line in requirements if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins), "every Python dependency is pinned exactly"
    assert "enabledManagers" not in RENOVATE_JSON or "pip_requirements" in RENOVATE_JSON["enabledManagers"]
