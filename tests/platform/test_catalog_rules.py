"""Rules derived from the service catalog, and rules that live on the model owning their fields.

Each case changes the lab environment file in one place and expects a config error naming the
exact key, raised by `load_environment` before any resource is registered. The render test checks
that every service the lab builds waits for the services it needs, as the catalog derives it.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.model import Resources
from components.platform.catalog import CATALOG, resource_name, yaml_key
from components.platform.chart import DeliveryArgs
from components.platform.vault import VaultArgs
from components.talos.bootstrap import TalosBootstrapArgs
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import children, lab_config, render_platform

DELIVERED = [s for s in CATALOG if issubclass(s.args_type, DeliveryArgs)]
BOOTSTRAP = [s for s in DELIVERED if s.bootstrap]


def _errors(config: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    return caught.value.lines


def _has(lines: list[str], key: str, message: str) -> bool:
    return any(line.startswith(f"config error: {key}: ") and message in line for line in lines)


def test_the_lab_file_is_valid():
    assert load_environment("lab", lab_config(), set()).config.platform.argocd.enabled


@pytest.mark.parametrize("service", [s for s in DELIVERED if s.key != "argocd"], ids=lambda s: s.key)
def test_argocd_delivery_without_argocd_is_rejected_for_every_service(service):
    config = lab_config()
    platform = config["idp:platform"]
    platform["argocd"] = {"enabled": False}
    section = platform.setdefault(yaml_key(service.key), {})
    section.update(enabled=True, delivery="argocd")
    lines = _errors(config)
    assert _has(lines, f"idp:platform.{yaml_key(service.key)}.delivery", "`argocd` needs platform.argocd.enabled: true"), lines


@pytest.mark.parametrize("service", BOOTSTRAP, ids=lambda s: s.key)
def test_a_bootstrap_service_delivered_by_argocd_is_rejected(service):
    config = lab_config()
    config["idp:platform"].setdefault(yaml_key(service.key), {})["delivery"] = "argocd"
    lines = _errors(config)
    expected = "Argo CD cannot deliver itself" if service.key == "argocd" else "must be `helm`"
    assert _has(lines, f"idp:platform.{yaml_key(service.key)}.delivery", expected), lines


def test_the_same_services_by_helm_are_accepted():
    config = lab_config()
    for service in DELIVERED:
        config["idp:platform"].setdefault(yaml_key(service.key), {})["delivery"] = "helm"
    load_environment("lab", config, set())


NEEDS = [
    (service, need)
    for service in CATALOG
    for need in service.requires(service.args_type.model_validate({"addresses": ["10.0.0.1/32"]} if service.key == "metallb" else {}))
]


@pytest.mark.parametrize("service, need", NEEDS, ids=[f"{s.key}-needs-{n}" for s, n in NEEDS])
def test_a_service_without_a_service_it_needs_is_rejected(service, need):
    config = lab_config()
    platform = config["idp:platform"]
    platform.setdefault(yaml_key(service.key), {})["enabled"] = True
    if service.key == "renovate":
        platform["renovate"].setdefault("endpoint", "https://bitbucket.example.internal/")
    platform.setdefault(yaml_key(need), {})["enabled"] = False
    lines = _errors(config)
    assert _has(lines, f"idp:platform.{yaml_key(service.key)}.enabled", f"needs platform.{yaml_key(need)}.enabled: true"), lines


def test_traefik_without_dashboard_does_not_need_cert_manager():
    config = lab_config()
    platform = config["idp:platform"]
    platform["traefik"]["dashboard"] = False
    for key in ("certManager", "argocd", "argoRollouts", "harbor", "vault", "vaultConfig", "externalSecrets", "cosign", "artifacts", "renovate",
                "longhorn", "cloudnativePg", "rabbitmqOperator",
                "victoriaMetrics", "alertmanager", "grafana", "victoriaLogs", "logsCollector", "vector", "portal"):
        platform.setdefault(key, {})["enabled"] = False
    for key in ("reloader", "kyverno", "trivyOperator"):
        platform[key]["delivery"] = "helm"
    platform["kyverno"]["policies"] = []
    result = render_platform(config)
    assert [r for r in result.resources if r.type == "idp:platform:Traefik"], "Traefik is built without cert-manager"
    assert not [r for r in result.resources if r.type == "idp:platform:CertManager"]


# -- rules on the model that owns the fields --------------------------------------------------


def test_vault_threshold_above_shares_is_rejected_by_its_args():
    with pytest.raises(ValidationError, match=r"secretThreshold.*5 exceeds secretShares 2"):
        VaultArgs(secret_shares=2, secret_threshold=5)
    assert VaultArgs(secret_shares=2, secret_threshold=2).secret_threshold == 2


def test_vault_threshold_is_reported_with_its_key():
    config = lab_config()
    config["idp:platform"]["vault"].update(secretShares=2, secretThreshold=5)
    lines = _errors(config)
    assert _has(lines, "idp:platform.vault.secretThreshold", "5 exceeds secretShares 2"), lines


def test_talos_apply_mode_is_checked_by_the_bootstrap_args():
    node = {"name": "cp-1", "ip": "10.0.0.11", "role": "controlplane"}
    common = dict(nodes=[node], endpoint="https://10.0.0.5:6443", client_configuration={}, machine_configurations={})
    with pytest.raises(ValidationError, match="apply_mode"):
        TalosBootstrapArgs(**common, apply_mode="bogus")
    with pytest.raises(ValidationError, match="kubeconfig_renewal"):
        TalosBootstrapArgs(**common, kubeconfig_renewal="30d")
    assert TalosBootstrapArgs(**common, apply_mode="staged").apply_mode == "staged"


def test_cluster_apply_mode_is_reported_with_its_key():
    config = lab_config()
    config["idp:cluster"] = {**(config.get("idp:cluster") or {}), "applyMode": "bogus"}
    lines = _errors(config)
    assert any(line.startswith("config error: idp:cluster.applyMode: ") for line in lines), lines


@pytest.mark.parametrize("field", ["requests_cpu", "requests_memory", "limits_cpu", "limits_memory"])
def test_shared_resources_reject_what_is_not_a_quantity(field):
    with pytest.raises(ValidationError, match="is not a Kubernetes quantity"):
        Resources(**{field: "banana"})
    assert Resources(**{field: "250m" if "cpu" in field else "256Mi"})


def test_a_service_quantity_is_reported_with_its_key():
    config = lab_config()
    config["idp:platform"]["traefik"]["resources"] = {"requestsCpu": "banana"}
    lines = _errors(config)
    assert _has(lines, "idp:platform.traefik.resources.requestsCpu", "'banana' is not a Kubernetes quantity"), lines


def test_renovate_endpoint_is_required_by_its_args():
    config = lab_config()
    del config["idp:platform"]["renovate"]["endpoint"]
    lines = _errors(config)
    assert _has(lines, "idp:platform.renovate.endpoint", "required when Renovate is enabled"), lines


# -- the order derived from the catalog ------------------------------------------------------


@pytest.fixture(scope="module")
def lab():
    return render_platform(lab_config())


def _component(result, service):
    found = [r for r in result.resources if r.type == f"idp:platform:{service.__name__}" and r.name == resource_name(service.key)]
    assert len(found) == 1, service.key
    return found[0]


@pytest.mark.parametrize("service, need", NEEDS, ids=[f"{s.key}-after-{n}" for s, n in NEEDS])
def test_each_lab_service_waits_for_the_services_it_needs(lab, service, need):
    component, needed = _component(lab, service), _component(lab, next(s for s in CATALOG if s.key == need))
    # The SDK expands a component dependency to the resources under it, at any depth.
    assert needed.urn in component.depends_on or set(component.depends_on) & children(lab, needed.urn), (
        f"{service.key} does not wait for {need}"
    )


def test_every_service_argocd_delivers_waits_for_its_app_project(lab):
    config = load_environment("lab", lab_config(), set()).config.platform
    project = next(r for r in lab.resources if r.name == "argocd-platform-project")
    delivered = [s for s in DELIVERED if getattr(config, s.key).enabled and getattr(config, s.key).delivery == "argocd"]
    assert delivered, "the lab delivers some services through Argo CD"
    for service in delivered:
        assert project.urn in _component(lab, service).depends_on, service.key


def test_vault_storage_is_protected_only_while_the_environment_protects():
    def protected(config) -> set[str]:
        result = render_platform(config)
        return {r.name for r in result.resources if r.protect and r.name.startswith("vault")}

    assert {"vault-chart-release", "vault-storage-class", "vault-init"} <= protected(lab_config())
    config = lab_config()
    config["idp:global"]["protect"] = False
    assert protected(config) == set()
