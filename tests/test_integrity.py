"""Referential integrity of the rendered environment (idpctl/integrity.py).

The lab environment, all four layers, must refer to nothing that nobody creates; and the check must
see a dangling reference of every kind it follows when one is injected into that real render.
"""

from __future__ import annotations

import pytest

from idpctl import integrity
from idpctl.integrity import Ref, parse_provided
from idpctl.runtime import LayerResult, Registration



@pytest.fixture(scope="module")
def lab_render():
    from tests.conftest import load_lab_config
    from idpctl.runtime import run_layers

    results, _missing = run_layers(["vms", "cluster", "platform", "projects"], "lab", load_lab_config())
    return results


def _problems(results: dict[str, LayerResult]) -> set[tuple[str, str, Ref]]:
    from idpctl.render_cmd import integrity_problems

    return {(d.source, d.field, d.ref) for d in integrity_problems(results)}


def test_lab_environment_has_no_dangling_reference(lab_render):
    assert _problems(lab_render) == set()


def _inject(results: dict[str, LayerResult], *bodies: dict, type_: str | None = None, name: str = "injected") -> dict[str, LayerResult]:
    extra = [
        Registration(
            urn=f"urn:pulumi:lab-projects::idp::{type_ or 'kubernetes:test'}::{name}-{i}",
            type=type_ or f"kubernetes:{body.get('apiVersion', 'x')}:{body.get('kind', 'X')}",
            name=f"{name}-{i}",
            parent="",
            protect=False,
            custom=True,
            inputs=body,
        )
        for i, body in enumerate(bodies)
    ]
    projects = results["projects"]
    return {**results, "projects": LayerResult(projects.layer, projects.stack, [*projects.resources, *extra], projects.exports, projects.calls)}


def _pod(**spec) -> dict:
    return {"containers": [{"name": "app", "image": "busybox:1.37", **spec.pop("container", {})}], **spec}


INJECTED = {
    "namespace": (
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "nowhere"}},
        "ConfigMap nowhere/c", "metadata.namespace", Ref("Namespace", "nowhere"),
    ),
    "storage class of a claim": (
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "payments-staging"},
         "spec": {"storageClassName": "fast-nvme", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        "PersistentVolumeClaim payments-staging/data", "spec.storageClassName", Ref("StorageClass", "fast-nvme"),
    ),
    "storage class of a database": (
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "db", "namespace": "payments-staging"},
         "spec": {"instances": 1, "storage": {"size": "1Gi", "storageClass": "local-path"}}},
        "Cluster payments-staging/db", "spec.storage.storageClass", Ref("StorageClass", "local-path"),
    ),
    "custom-resource kind": (
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m", "namespace": "payments-staging"}},
        "ServiceMonitor payments-staging/m", "apiVersion/kind", Ref("CustomResource", "monitoring.coreos.com/ServiceMonitor"),
    ),
    "secret in a volume": (
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "payments-staging"},
         "spec": {"template": {"spec": _pod(volumes=[{"name": "v", "secret": {"secretName": "tls-missing"}}])}}},
        "Deployment payments-staging/web", "spec.template.spec.volumes[0].secret.secretName", Ref("Secret", "tls-missing", "payments-staging"),
    ),
    "secret in env": (
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "job", "namespace": "payments-staging"},
         "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": _pod(
             container={"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "api-key", "key": "k"}}}]})}}}}},
        "CronJob payments-staging/job", "spec.jobTemplate.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
        Ref("Secret", "api-key", "payments-staging"),
    ),
    "secret of a backup target": (
        {"apiVersion": "longhorn.io/v1beta2", "kind": "BackupTarget", "metadata": {"name": "offsite", "namespace": "longhorn-system"},
         "spec": {"backupTargetURL": "s3://b@r/", "credentialSecret": "offsite-credentials"}},
        "BackupTarget longhorn-system/offsite", "spec.credentialSecret", Ref("Secret", "offsite-credentials", "longhorn-system"),
    ),
    "configmap": (
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "webshop-staging"},
         "spec": {"template": {"spec": _pod(container={"envFrom": [{"configMapRef": {"name": "settings"}}]})}}},
        "Deployment webshop-staging/web", "spec.template.spec.containers[0].envFrom[0].configMapRef.name",
        Ref("ConfigMap", "settings", "webshop-staging"),
    ),
    "harbor project of a chart source": (
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a", "namespace": "argocd"},
         "spec": {"project": "webshop", "destination": {"server": "https://kubernetes.default.svc", "namespace": "webshop-staging"},
                  "source": {"repoURL": "harbor.lab.idp.internal/charts", "chart": "x", "targetRevision": "1.0.0"}}},
        "Application argocd/a", "spec.source.repoURL", Ref("HarborProject", "charts"),
    ),
    "harbor project of an image": (
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "webshop-staging"},
         "spec": {"template": {"spec": _pod(container={"image": "harbor.lab.idp.internal/billing/api:1.0.0"})}}},
        "Deployment webshop-staging/web", "spec.template.spec.containers[0].image", Ref("HarborProject", "billing"),
    ),
}


@pytest.mark.parametrize("case", sorted(INJECTED))
def test_an_injected_dangling_reference_is_reported_by_object_and_field(lab_render, case):
    body, source, field, ref = INJECTED[case]
    before = _problems(lab_render)
    after = _problems(_inject(lab_render, body))
    assert after - before == {(source, field, ref)}


def test_a_dangling_harbor_project_of_a_robot_is_reported(lab_render):
    robot = {"name": "ci", "level": "project", "permissions": [{"kind": "project", "namespace": "ghost", "accesses": []}]}
    after = _problems(_inject(lab_render, robot, type_="harbor:index/robotAccount:RobotAccount", name="ghost-robot"))
    assert ("harbor:index/robotAccount:RobotAccount ghost-robot-0", "permissions[0].namespace", Ref("HarborProject", "ghost")) in after


def test_what_the_render_creates_satisfies_a_reference(lab_render):
    """The same references stop dangling once something in the environment creates their target."""
    body = INJECTED["secret in a volume"][0]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls-missing", "namespace": "payments-staging"}}
    assert _problems(_inject(lab_render, body, secret)) == _problems(lab_render)
    certificate = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c", "namespace": "payments-staging"},
                   "spec": {"secretName": "tls-missing", "issuerRef": {"name": "platform-ca", "kind": "ClusterIssuer"}}}
    assert _problems(_inject(lab_render, body, certificate)) == _problems(lab_render)
    database = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "orders-db", "namespace": "payments-staging"},
                "spec": {"instances": 1, "storage": {"size": "1Gi"}}}
    uses_app_secret = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "payments-staging"},
                       "spec": {"template": {"spec": _pod(container={"envFrom": [{"secretRef": {"name": "orders-db-app"}}]})}}}
    assert _problems(_inject(lab_render, uses_app_secret, database)) == _problems(lab_render)


def test_optional_and_templated_references_are_not_required(lab_render):
    optional = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "payments-staging"},
                "spec": {"template": {"spec": _pod(container={"envFrom": [{"secretRef": {"name": "smtp", "optional": True}}]})}}}
    templated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "{{ .namespace }}"}}
    assert _problems(_inject(lab_render, optional, templated)) == _problems(lab_render)


def test_provides_strings_of_the_catalog():
    assert parse_provided("longhorn.io/RecurringJob") == Ref("CustomResource", "longhorn.io/RecurringJob")
    assert parse_provided("storageclass/longhorn") == Ref("StorageClass", "longhorn")
    assert parse_provided("secret/harbor-core", "harbor") == Ref("Secret", "harbor-core", "harbor")
    assert parse_provided("configmap/kube-system/cluster-info") == Ref("ConfigMap", "cluster-info", "kube-system")
    assert parse_provided("ingressclass/traefik") is None
    with pytest.raises(ValueError, match="expected"):
        parse_provided("longhorn")


def test_render_fails_on_a_dangling_reference(tmp_path, monkeypatch):
    """`idpctl render` exits non-zero and names the object and field."""
    from click.testing import CliRunner

    from idpctl import render_cmd
    from tests.conftest import LAB_FILE

    real = render_cmd.integrity_problems

    def with_injected(results):
        return [*real(results), integrity.Dangling("ConfigMap nowhere/c", "metadata.namespace", Ref("Namespace", "nowhere"))]

    monkeypatch.setattr(render_cmd, "integrity_problems", with_injected)
    out = CliRunner().invoke(render_cmd.render, ["--config-file", str(LAB_FILE), "--env", "lab", "--layer", "platform", "--out", str(tmp_path / "out")])
    assert out.exit_code == 3, out.output
    assert "integrity error: ConfigMap nowhere/c: metadata.namespace: Namespace nowhere is created by nothing" in out.output
