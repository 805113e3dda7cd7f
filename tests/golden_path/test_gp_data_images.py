"""An application with a database and a broker gets pods the platform's own policies admit.

Project namespaces admit only signed images from the platform Harbor (`verify-image-signatures`).
The base chart renders a CloudNativePG `Cluster` and a `RabbitmqCluster`; their pods are made by
the operators, which the policies (matching Pods only) see, not the custom resources. So the
pods checked here are the ones the operators create from the rendered objects and from the
operators' configuration in the rendered platform layer:
- `Cluster` -> instance pod: `postgres` runs `spec.imageName`, the init container
  `bootstrap-controller` runs the operator image (OPERATOR_IMAGE_NAME), and with the Barman Cloud
  plugin in `spec.plugins` the plugin injects its sidecar (`sidecarImage`);
- `RabbitmqCluster` -> StatefulSet pod: `setup-container` and `rabbitmq` both run `spec.image`.
The path is the real one: `idpctl app render` of a platform.yaml, `helm template` of the values it
wrote (real helm), the rendered ClusterPolicy run by the real Kyverno CLI, signatures looked up in
a loopback registry (tests/security/oci_registry.py) that serves every Harbor image the pods name,
signed as the platform pipeline signs mirrored images (pipelines/platform/scripts/sign-mirrored.sh).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from idpctl.cli import cli
from kyverno_cli import kyverno_apply, trust_loopback
from idpctl.render_cmd import kubernetes_objects
from idpctl.runtime import mask, run_layers

REPO = Path(__file__).resolve().parents[2]
POLICY = "verify-image-signatures"

PLATFORM_YAML = """\
name: orders
team: web
project: webshop
ports:
  http: 8080
database:
  instances: 1
  size: 1Gi
  backup: true
rabbitmq:
  replicas: 1
  size: 1Gi
resources:
  requestsCpu: 50m
  requestsMemory: 64Mi
  limitsMemory: 128Mi
"""


@pytest.fixture(scope="module")
def layers() -> dict:
    config = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())["config"]
    results, _ = run_layers(["platform", "projects"], "lab", config)
    return {
        "platform": kubernetes_objects(results["platform"]),
        "projects": kubernetes_objects(results["projects"]),
        "harbor": mask(results["platform"].exports)["harborUrl"].removeprefix("https://"),
    }


def _chart_values(platform: list[dict], chart: str) -> dict:
    """valuesObject of the Argo CD Application (or HelmChart) installing `chart` in the platform layer."""
    for obj in platform:
        source = (obj.get("spec") or {}).get("source") or {}
        if obj.get("kind") == "Application" and source.get("chart") == chart:
            return source["helm"]["valuesObject"]
    raise AssertionError(f"the platform layer installs no chart {chart}")


def _operator_image(values: dict) -> str:
    """What the CloudNativePG operator puts in `bootstrap-controller`: its ConfigMap wins over its env."""
    configured = ((values.get("config") or {}).get("data") or {}).get("OPERATOR_IMAGE_NAME")
    return configured or f"{values['image']['repository']}:{values['image']['tag']}"


def _sidecar_image(values: dict) -> str:
    sidecar = values["sidecarImage"]
    return f"{sidecar['registry']}/{sidecar['repository']}:{sidecar['tag']}"


def _pod(name: str, namespace: str, init: dict[str, str], containers: dict[str, str]) -> dict:
    spec: dict = {"containers": [{"name": n, "image": i} for n, i in containers.items()]}
    if init:
        spec["initContainers"] = [{"name": n, "image": i} for n, i in init.items()]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def operator_pods(rendered: list[dict], platform: list[dict], namespace: str) -> list[dict]:
    """The pods the operators create for the rendered Cluster and RabbitmqCluster."""
    cnpg = _chart_values(platform, "cloudnative-pg")
    plugin = _chart_values(platform, "plugin-barman-cloud")
    pods = []
    for obj in rendered:
        name, spec = obj["metadata"]["name"], obj.get("spec") or {}
        if obj["kind"] == "Cluster":
            init = {"bootstrap-controller": _operator_image(cnpg)}
            if any(p["name"] == "barman-cloud.cloudnative-pg.io" for p in spec.get("plugins") or []):
                init["plugin-barman-cloud"] = _sidecar_image(plugin)
            pods.append(_pod(f"{name}-1", namespace, init, {"postgres": spec["imageName"]}))
        elif obj["kind"] == "RabbitmqCluster":
            pods.append(_pod(f"{name}-server-0", namespace, {"setup-container": spec["image"]},
                             {"rabbitmq": spec["image"]}))
    return pods


def _images(pods: list[dict]) -> set[str]:
    return {c["image"] for p in pods for key in ("initContainers", "containers") for c in p["spec"].get(key, [])}


def _render_app(tmp: Path) -> Path:
    (tmp / "platform.yaml").write_text(PLATFORM_YAML)
    result = CliRunner().invoke(cli, [
        "app", "render", str(tmp / "platform.yaml"), "--env", "staging", "--image-tag", "c0ffee0",
        "--domain", "lab.idp.internal", "--out", str(tmp / "out"),
    ])
    assert result.exit_code == 0, result.output
    return tmp / "out" / "values.yaml"


def _admit(pods: list[dict], layers: dict, kyverno: str, tmp: Path) -> tuple[dict[str, int], str, list[str]]:
    """Run the rendered `verify-image-signatures` over `pods` with the real Kyverno CLI."""
    sys.path.insert(0, str(REPO / "tests" / "security"))
    from oci_registry import KeyPair, Registry, RegistryServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (signatures for the loopback registry)")
    harbor = layers["harbor"]
    namespace_name = pods[0]["metadata"]["namespace"]
    namespace = next(o for o in layers["projects"] if o["kind"] == "Namespace" and o["metadata"]["name"] == namespace_name)
    policy = next(o for o in layers["platform"] if o["kind"] == "ClusterPolicy" and o["metadata"]["name"] == POLICY)
    keys = KeyPair.generate(tmp, "platform")
    with RegistryServer(Registry()) as reg:
        swap = lambda value: yaml.safe_load(yaml.safe_dump(value).replace(harbor, reg.host))  # noqa: E731
        policy = swap(policy)
        policy = trust_loopback(policy, keys.public_pem)
        pods = swap(pods)
        # Every Harbor image the pods name is there and signed, as sign-mirrored.sh leaves the mirror.
        for image in _images(pods):
            if image.startswith(f"{reg.host}/"):
                repository, _, tag = image.removeprefix(f"{reg.host}/").rpartition(":")
                reg.sign(repository, reg.add_image(repository, tag), keys)
        summary, output = kyverno_apply(kyverno, tmp, [policy], namespace, pods)
        requests = list(reg.requests)
    return summary, output, requests


@pytest.fixture(scope="module")
def rendered_app(helm_template, tmp_path_factory) -> list[dict]:
    values_file = _render_app(tmp_path_factory.mktemp("data-images"))
    values = yaml.safe_load(values_file.read_text())
    rendered = helm_template(values_file, release=values["app"]["name"], namespace=f"{values['app']['project']}-staging")
    assert {o["kind"] for o in rendered} >= {"Cluster", "RabbitmqCluster"}, "the chart rendered no database or broker"
    return rendered


@pytest.fixture(scope="module")
def app_pods(rendered_app, layers) -> list[dict]:
    return operator_pods(rendered_app, layers["platform"], "webshop-staging")


def test_database_and_broker_name_the_project_pull_secret(rendered_app, layers):
    """The mirror is private: the operators' pods pull with the pull secret the project puts in its namespaces."""
    secrets = {o["metadata"]["name"] for o in layers["projects"]
               if o["kind"] in ("Secret", "ExternalSecret") and o["metadata"].get("namespace") == "webshop-staging"}
    for obj in rendered_app:
        if obj["kind"] in ("Cluster", "RabbitmqCluster"):
            names = [s["name"] for s in obj["spec"].get("imagePullSecrets") or []]
            assert names and set(names) <= secrets, (obj["kind"], names, sorted(secrets))


def test_database_and_broker_pods_name_only_platform_harbor_images(app_pods, layers):
    harbor = layers["harbor"]
    images = _images(app_pods)
    # The database pod runs three images (postgres, bootstrap-controller, the backup sidecar), the broker one.
    assert len(images) == 4, images
    assert sorted(i for i in images if not i.startswith(f"{harbor}/library/")) == []


def test_the_platform_policies_admit_database_and_broker_pods(app_pods, layers, kyverno, tmp_path):
    summary, output, requests = _admit(app_pods, layers, kyverno, tmp_path)
    assert summary["fail"] == 0 and summary["error"] == 0, output
    # Evaluated, not skipped: both rules passed on both pods, and every image's signature was read.
    assert summary["pass"] >= 2 * len(app_pods), output
    signed = {re.sub(r"^[A-Z]+ /v2/(.+)/manifests/sha256-[0-9a-f]+\.sig$", r"\1", r) for r in requests if r.endswith(".sig")}
    repositories = {i.split("/", 1)[1].rpartition(":")[0] for i in _images(app_pods)}
    assert repositories <= signed, (repositories, requests)


def test_an_upstream_database_image_is_rejected(app_pods, layers, kyverno, tmp_path):
    """The negative case: the chart's upstream default, as rendered before the mirror was used."""
    pods = yaml.safe_load(yaml.safe_dump(app_pods))
    postgres = next(c for p in pods for c in p["spec"]["containers"] if c["name"] == "postgres")
    postgres["image"] = "ghcr.io/cloudnative-pg/postgresql:17.8-standard-trixie"
    summary, output, _ = _admit(pods, layers, kyverno, tmp_path)
    assert summary["fail"] >= 1, output
    assert "require-harbor-registry" in output, output
