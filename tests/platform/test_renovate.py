"""Item 9: the Renovate CronJob for Bitbucket Server with its token synced from Vault by ESO, and the
repository's own renovate.json that keeps chart versions, mirrored images and Python pins current."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from stacks.loading import ConfigError, load_environment
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
    # the chart's top-level securityContext is the pod's, renovate.securityContext the container's
    assert values["securityContext"]["runAsNonRoot"] is True and "capabilities" not in values["securityContext"]
    assert values["renovate"]["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert "podSecurityContext" not in values


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


def test_python_pins_are_seen_through_pyproject_and_the_lock():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    pins = [*project["project"]["dependencies"], *project["dependency-groups"]["dev"]]
    assert pins and all("==" in pin for pin in pins), "every Python dependency is pinned exactly"
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    # the hashed export of uv.lock that `make venv` installs holds every pin, with its hashes
    text = (REPO / "requirements.txt").read_text()
    exported = {norm(n): v for n, v in re.findall(r"(?m)^([A-Za-z0-9._-]+)==(\S+) \\\n\s+--hash=sha256:", text)}
    for pin in pins:
        name, version = pin.split("==")
        assert exported.get(norm(name)) == version, pin
    disabled = [r for r in RENOVATE_JSON["packageRules"] if r.get("enabled") is False and "matchManagers" in r]
    assert any(r["matchManagers"] == ["pip_requirements"] for r in disabled), "the export is regenerated, not edited by Renovate"
    assert not any("pep621" in r["matchManagers"] for r in disabled)
    assert "enabledManagers" not in RENOVATE_JSON


def test_every_tool_pinned_in_the_toolchain_script_is_seen_by_renovate():
    text = (REPO / "scripts" / "toolchain.sh").read_text()
    pinned = dict(re.findall(r"(?m)^([A-Z]+)_VERSION=(\S+)", text))
    providers = re.findall(r'(?m)^\s*"[a-z]+\s+\S+\s+(\S+)\s+([0-9][^\s"]*)\s+\S+"', text)
    assert len(pinned) >= 5 and len(providers) >= 8
    seen: dict[str, str] = {}
    for manager in _manager("scripts/toolchain"):
        for rx in manager["matchStrings"]:
            for m in _python_regex(rx).finditer(text):
                seen[m.groupdict().get("depName") or manager["depNameTemplate"]] = m["currentValue"]
    assert len(seen) == len(pinned) + len(providers), seen
    assert sorted(seen.values()) == sorted([*pinned.values(), *(v for _, v in providers)])
    assert seen["pulumi"] == pinned["PULUMI"] and seen["helm.sh/helm/v4"] == pinned["HELM"]


# Fields of the Kubernetes objects the chart's two security contexts become (core/v1).
POD_SECURITY_FIELDS = {"fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions",
                       "seccompProfile", "supplementalGroups", "supplementalGroupsPolicy", "sysctls", "windowsOptions",
                       "appArmorProfile", "seLinuxChangePolicy"}
CONTAINER_SECURITY_FIELDS = {"allowPrivilegeEscalation", "capabilities", "privileged", "procMount", "readOnlyRootFilesystem",
                             "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions", "seccompProfile", "windowsOptions",
                             "appArmorProfile"}


def _key_paths(values: dict, free_form: set[str], prefix: str = "") -> set[str]:
    paths = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in free_form:
            paths |= _key_paths(value, free_form, path + ".")
        else:
            paths.add(path)
    return paths


def test_every_value_key_set_is_one_the_chart_has():
    from components.platform.renovate import CHART_VALUE_KEYS, RenovateArgs, renovate_values

    args = RenovateArgs(enabled=True, endpoint="https://bitbucket.example.internal/", repositories=["PLAT/idp"])
    values = renovate_values(args)
    free_form = {"resources", "securityContext", "renovate.securityContext"}
    assert _key_paths(values, free_form) == CHART_VALUE_KEYS
    assert set(values["securityContext"]) <= POD_SECURITY_FIELDS
    assert set(values["renovate"]["securityContext"]) <= CONTAINER_SECURITY_FIELDS
