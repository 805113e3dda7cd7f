"""Items 1, 2, 3 and 10: one delivery mechanism with pinned charts, composition from the environment
file (each service can be disabled, exports), MetalLB's Talos label setting, and every rendered
object schema-valid with resources on every workload and TLS on every ingress."""

from __future__ import annotations

import re

import pytest

from idpctl.render_cmd import kubernetes_objects
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import APPLICATION, RELEASE, chart_registration, chart_values, lab_config, obj, objects, render_platform, waits_for

PINNED = re.compile(r"^v?\d+\.\d+\.\d+$")
SERVICES_I = {
    # component resource-name prefix: (chart, version from CATALOG.md, namespace)
    "cert-manager": ("cert-manager", "v1.21.1", "cert-manager"),
    "traefik": ("traefik", "41.3.0", "traefik"),
    "argocd": ("argo-cd", "10.1.1", "argocd"),
    "argo-rollouts": ("argo-rollouts", "2.41.0", "argo-rollouts"),
    "harbor": ("harbor", "1.19.1", "harbor"),
    "renovate": ("renovate", "46.254.2", "renovate"),
}
WORKLOADS = {
    # every workload the chart runs, as values paths to its `resources`
    "cert-manager": [(), ("webhook",), ("cainjector",), ("startupapicheck",)],
    "traefik": [()],
    "argocd": [("controller",), ("server",), ("repoServer",), ("applicationSet",), ("dex",), ("redis",), ("notifications",), ("redisSecretInit",)],
    "argo-rollouts": [("controller",), ("dashboard",)],
    "harbor": [("core",), ("jobservice",), ("portal",), ("registry", "registry"), ("registry", "controller"), ("trivy",), ("database", "internal"), ("redis", "internal"), ("exporter",)],
    "renovate": [()],
}
COMPONENT_KEYS = {"cert-manager": "certManager", "traefik": "traefik", "argocd": "argocd", "argo-rollouts": "argoRollouts", "harbor": "harbor", "renovate": "renovate"}


def test_every_declared_object_is_schema_valid(lab, schemas):
    objs = kubernetes_objects(lab)
    kinds = {o["kind"] for o in objs}
    assert {"Certificate", "ClusterIssuer", "IngressRoute", "Middleware", "AppProject", "ApplicationSet", "Application", "ExternalSecret", "Secret", "Namespace"} <= kinds
    assert schemas.validate_all(objs) == []


@pytest.mark.parametrize("component", sorted(SERVICES_I))
def test_chart_is_pinned_to_the_catalog_version(lab, component):
    chart, version, namespace = SERVICES_I[component]
    reg = chart_registration(lab, component)
    if reg.type == RELEASE:
        assert reg.inputs["version"] == version and PINNED.match(reg.inputs["version"])
        assert reg.inputs["chart"].endswith(chart) and reg.inputs["namespace"] == namespace
    else:
        source = reg.inputs["spec"]["source"]
        assert source["targetRevision"] == version and source["chart"] == chart
        assert reg.inputs["spec"]["destination"]["namespace"] == namespace


@pytest.mark.parametrize("component", sorted(WORKLOADS))
def test_every_workload_has_requests_and_limits(lab, component):
    values = chart_values(lab, component)
    for path in WORKLOADS[component]:
        node = values
        for key in path:
            node = node[key]
        resources = node["resources"]
        where = ".".join(path) or "<root>"
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], f"{component} {where}"
        assert resources["limits"]["memory"], f"{component} {where}"


def _ingress_tls(lab) -> list[tuple[str, str, str]]:
    """(namespace, TLS secret, host) of every ingress the services-I charts and objects declare."""
    found = []
    argocd = chart_values(lab, "argocd")["server"]["ingress"]
    assert argocd["tls"] is True
    found.append(("argocd", "argocd-server-tls", argocd["hostname"]))
    rollouts = chart_values(lab, "argo-rollouts")["dashboard"]["ingress"]
    found += [("argo-rollouts", t["secretName"], h) for t in rollouts["tls"] for h in t["hosts"]]
    harbor = chart_values(lab, "harbor")["expose"]
    assert harbor["tls"]["enabled"] is True
    found.append(("harbor", harbor["tls"]["secret"]["secretName"], harbor["ingress"]["hosts"]["core"]))
    for route in objects(lab, "IngressRoute"):
        host = re.search(r"Host\(`([^`]+)`\)", route["spec"]["routes"][0]["match"]).group(1)
        found.append((route["metadata"]["namespace"], route["spec"]["tls"]["secretName"], host))
    return found


def test_every_ingress_has_tls_from_platform_ca(lab):
    ingresses = _ingress_tls(lab)
    assert len(ingresses) == 4
    certificates = {(o["metadata"]["namespace"], o["spec"]["secretName"]): o for o in objects(lab, "Certificate")}
    for namespace, secret, host in ingresses:
        cert = certificates.get((namespace, secret))
        assert cert is not None, f"no Certificate fills {namespace}/{secret}"
        assert cert["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "platform-ca"}
        assert host in cert["spec"]["dnsNames"]
        assert host.endswith(".lab.idp.internal")


def test_service_urls_are_exported(lab):
    assert lab.exports["urls"] == {
        **lab.exports["urls"],
        "argocd": "https://argocd.lab.idp.internal",
        "harbor": "https://harbor.lab.idp.internal",
        "rollouts": "https://rollouts.lab.idp.internal/",
        "traefik": "https://traefik.lab.idp.internal/dashboard/",
    }


def test_namespaces_carry_pod_security_labels(lab):
    for namespace, level in (("traefik", "restricted"), ("argocd", "restricted"), ("harbor", "baseline"), ("cert-manager", "restricted")):
        labels = obj(lab, "Namespace", namespace)["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == level, namespace


@pytest.mark.parametrize("component", ["argo-rollouts", "harbor", "renovate"])
def test_each_service_can_be_disabled(component):
    config = lab_config()
    config["idp:platform"][COMPONENT_KEYS[component]]["enabled"] = False
    if component == "harbor":
        config["idp:platform"]["portal"]["enabled"] = False  # the portal's image comes from Harbor
        config["idp:platform"]["artifacts"] = {"enabled": False}  # they live in Harbor
    result = render_platform(config)
    assert not [r for r in result.resources if r.name.startswith(f"{component}-") or r.name == component]


def test_argocd_can_be_disabled_when_nothing_needs_it():
    config = lab_config()
    platform = config["idp:platform"]
    platform["argocd"]["enabled"] = False
    platform["artifacts"] = {"enabled": False}  # Argo CD's chart credential
    for component in platform.values():
        if isinstance(component, dict) and component.get("delivery") == "argocd":
            component["delivery"] = "helm"
    result = render_platform(config)
    assert not [r for r in result.resources if r.type == APPLICATION or r.name.startswith("argocd-")]


@pytest.mark.parametrize(
    "change, key, message",
    [
        (lambda p: p["certManager"].update(enabled=False), "idp:platform.harbor.enabled", "needs platform.certManager.enabled"),
        (lambda p: p["traefik"].update(enabled=False), "idp:platform.argocd.enabled", "needs platform.traefik.enabled"),
        (lambda p: p["traefik"].update(delivery="argocd"), "idp:platform.traefik.delivery", "must be `helm`"),
        (lambda p: p["certManager"].update(delivery="argocd"), "idp:platform.certManager.delivery", "must be `helm`"),
        (lambda p: p["argocd"].update(enabled=False), "idp:platform.argoRollouts.delivery", "needs platform.argocd.enabled"),
    ],
)
def test_combinations_that_cannot_come_up_are_config_errors(change, key, message):
    config = lab_config()
    change(config["idp:platform"])
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert any(line.startswith(f"config error: {key}: ") and message in line for line in caught.value.lines), caught.value.lines


def test_metallb_talos_control_plane_label_setting():
    # Default: the speaker honours Talos' exclude-from-external-load-balancers label (workers announce).
    assert chart_values(render_platform(lab_config()), "metallb")["speaker"]["ignoreExcludeLB"] is False
    config = lab_config()
    config["idp:platform"]["metallb"]["ignoreExcludeLb"] = True
    assert chart_values(render_platform(config), "metallb")["speaker"]["ignoreExcludeLB"] is True


CRD_OWNERS = {
    # API group of a custom resource -> the component whose chart installs its CRDs
    "cert-manager.io": "cert-manager",
    "traefik.io": "traefik",
    "argoproj.io": "argocd",
    "external-secrets.io": "external-secrets",
    "metallb.io": "metallb",
}


def test_every_custom_resource_waits_for_the_chart_with_its_crds(lab):
    checked = 0
    for reg in lab.resources:
        group = reg.type.split(":")[1].split("/")[0] if reg.type.startswith("kubernetes:") else ""
        owner = CRD_OWNERS.get(group)
        if owner is None or reg.name.startswith(f"{owner}-chart-"):
            continue
        if group == "argoproj.io" and reg.inputs.get("kind") == "Application":
            owner_reg = chart_registration(lab, "argocd")  # platform Applications need Argo CD itself
        else:
            owner_reg = chart_registration(lab, owner)
        assert waits_for(lab, reg, owner_reg), f"{reg.type} {reg.name} does not wait for the {owner} chart"
        checked += 1
    assert checked >= 15
