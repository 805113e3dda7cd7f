"""CrossGuard rules: compliant, non-compliant and property-missing cases, and a clean lab render."""

from __future__ import annotations

import pytest

from idpctl.policy_scan import _rules, scan
from idpctl.runtime import run_layers


def check(*args, **kwargs):
    return _rules().check(*args, **kwargs)


def names(violations):
    return {policy for policy, _ in violations}


def deployment(container: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


GOOD_CONTAINER = {
    "name": "app",
    "image": "harbor.example/app/web:1.4.2",
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
}


def test_every_rule_has_a_kebab_case_name_and_description():
    for policy in _rules().POLICIES:
        assert policy.name == policy.name.lower() and " " not in policy.name
        assert policy.description.endswith(".")


@pytest.mark.parametrize(
    "version, violates", [("0.16.1", False), ("v1.21.1", False), ("1.x", True), ("", True), ("latest", True)]
)
def test_helm_chart_version_pinned(version, violates):
    props = {"version": version} if version else {}
    assert ("helm-chart-version-pinned" in names(check("kubernetes:helm.sh/v3:Release", props))) is violates


def test_workload_resources_set():
    assert not check("kubernetes:apps/v1:Deployment", deployment(GOOD_CONTAINER))
    no_limit = {**GOOD_CONTAINER, "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
    (violation,) = check("kubernetes:apps/v1:Deployment", deployment(no_limit))
    assert violation[0] == "workload-resources-set" and "limits.memory" in violation[1]
    missing = {k: v for k, v in GOOD_CONTAINER.items() if k != "resources"}
    assert "workload-resources-set" in names(check("kubernetes:apps/v1:Deployment", deployment(missing)))


def test_cronjob_containers_are_found():
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "a:latest"}]}}}}}}
    assert names(check("kubernetes:batch/v1:CronJob", cron)) == {"workload-resources-set", "images-pinned"}


@pytest.mark.parametrize("image, violates", [("a/b:1.2.3", False), ("a/b@sha256:abc", False), ("a/b", True), ("a/b:latest", True), ("registry:5000/a", True)])
def test_images_pinned(image, violates):
    props = deployment({**GOOD_CONTAINER, "image": image})
    assert ("images-pinned" in names(check("kubernetes:apps/v1:Deployment", props))) is violates


def test_ingress_tls():
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "spec": {"rules": []}}
    assert names(check("kubernetes:networking.k8s.io/v1:Ingress", ingress)) == {"ingress-tls"}
    ingress["spec"]["tls"] = [{"hosts": ["a.example"], "secretName": "a-tls"}]
    assert not check("kubernetes:networking.k8s.io/v1:Ingress", ingress)
    route = {"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", "spec": {"routes": []}}
    assert names(check("kubernetes:apiextensions.k8s.io:CustomResource", route)) == {"ingress-tls"}


def test_namespace_pod_security():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {}}}
    assert names(check("kubernetes:core/v1:Namespace", ns)) == {"namespace-pod-security"}
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"
    assert not check("kubernetes:core/v1:Namespace", ns)


def test_argocd_revision_pinned():
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "spec": {"source": {"chart": "x", "targetRevision": "*"}}}
    assert names(check("kubernetes:apiextensions.k8s.io:CustomResource", app)) == {"argocd-revision-pinned"}
    app["spec"]["source"]["targetRevision"] = "2.9.0"
    assert not check("kubernetes:apiextensions.k8s.io:CustomResource", app)


def test_stateful_resources_protected():
    assert names(check("talos:machine/secrets:Secrets", {}, protect=False)) == {"stateful-resources-protected"}
    assert not check("talos:machine/secrets:Secrets", {}, protect=True)


def test_lab_render_has_no_violations(lab_config):
    results, _ = run_layers(["vms", "cluster", "platform", "projects"], "lab", lab_config)
    assert scan(results) == []


def test_unprotected_environment_is_flagged(lab_config):
    lab_config["idp:global"]["protect"] = False
    results, _ = run_layers(["vms"], "lab", lab_config)
    assert any("stateful-resources-protected" in line for line in scan(results))
