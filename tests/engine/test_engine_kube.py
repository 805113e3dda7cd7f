"""The platform and projects layers applied by the real engine to a real (local) Kubernetes API server.

The Pulumi CLI, the project's language host and the Kubernetes provider plugin 4.25.0 (all built by
scripts/toolchain.sh) run the real program against etcd + kube-apiserver + kube-controller-manager
on 127.0.0.1 (`kube_api`, control_plane.py) with the upstream CRDs installed, and a local file
backend. The four stacks reference each other for real: `ci-cluster` adopts the local API server
(`idp:cluster.existingKubeconfigFile`) and exports its kubeconfig; `ci-platform` and `ci-projects`
read it (and the platform's outputs) through stack references.

What is not applied, and how (explicit in the environment file copy, see `environment()`):
- Helm releases: `idp:cluster.helmReleases: false` (they need chart downloads and nodes); the
  platform declares everything else, and each skipped release is logged by the engine.
- Vault, its configuration, ESO, cosign, Renovate and Harbor are off in Pulumi.ci.yaml: their Pulumi
  providers (vault, harbor) cannot be built here. The projects follow those switches.
- Traefik's dashboard (`traefik.dashboard: false` here): its password comes from the random
  provider, which cannot be built here either.
Argo CD and cert-manager do not run: a stand-in (`ControllerStandIn`) does the part of their
controllers' work that the engine waits for (Applications reported healthy, Argo CD finalizers
removed on delete, Certificates issued with openssl and marked Ready).
"""

from __future__ import annotations

import base64
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from control_plane import ControlPlane
from pulumi_cli import REPO, Engine, declare_plugins, init_stacks, make_engine, set_ci_secrets

pytestmark = pytest.mark.usefixtures("kubernetes_plugin")

SECOND_PROJECT = {"name": "ledger", "sourceRepos": ["https://git.ci.idp.internal/scm/led/*"]}
ARGOCD_FINALIZERS = ("resources-finalizer.argocd.argoproj.io",)


class ControllerStandIn:
    """What the controllers of Argo CD and cert-manager would do that the engine waits on.

    Neither controller runs here (no nodes, no chart downloads). Argo CD: each Application is
    reported healthy and synced (the `.status` Argo CD writes once it has synced, which the
    provider awaits through `pulumi.com/waitFor`), and its `resources-finalizer` is removed from
    Applications and AppProjects being deleted (what Argo CD does once it has pruned). cert-manager:
    each Certificate is issued the way its controller would, a real key and certificate made with
    openssl into the Certificate's `secretName` (kubernetes.io/tls), and its Ready condition set.
    """

    def __init__(self, api: ControlPlane, workdir: Path):
        self.api = api
        self.workdir = workdir
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stop.wait(1):
            try:
                self.tick()
            except Exception:  # the API server may be busy; try again next second
                pass

    def tick(self) -> None:
        for plural in ("applications", "appprojects"):
            for item in self._list(f"/apis/argoproj.io/v1alpha1/{plural}"):
                meta = item["metadata"]
                path = f"/apis/argoproj.io/v1alpha1/namespaces/{meta['namespace']}/{plural}/{meta['name']}"
                if meta.get("deletionTimestamp") and set(meta.get("finalizers") or ()) & set(ARGOCD_FINALIZERS):
                    keep = [f for f in meta["finalizers"] if f not in ARGOCD_FINALIZERS]
                    self.api.request("PATCH", path, {"metadata": {"finalizers": keep}}, content_type="merge")
                elif plural == "applications" and (item.get("status") or {}).get("health", {}).get("status") != "Healthy":
                    self.api.request("PATCH", path, {"status": {"health": {"status": "Healthy"},
                                                                "sync": {"status": "Synced"}}}, content_type="merge")
        for cert in self._list("/apis/cert-manager.io/v1/certificates"):
            conditions = {c["type"]: c["status"] for c in (cert.get("status") or {}).get("conditions", [])}
            if conditions.get("Ready") != "True" and not cert["metadata"].get("deletionTimestamp"):
                self._issue(cert)

    def _list(self, path: str) -> list[dict]:
        status, body = self.api.request("GET", path)
        return body.get("items", []) if status == 200 else []

    def _issue(self, cert: dict) -> None:
        meta, spec = cert["metadata"], cert["spec"]
        name = spec.get("commonName") or (spec.get("dnsNames") or [meta["name"]])[0]
        key, crt = self.workdir / f"{meta['namespace']}-{meta['name']}.key", self.workdir / f"{meta['namespace']}-{meta['name']}.crt"
        extensions = ["-addext", "basicConstraints=critical,CA:TRUE"] if spec.get("isCA") else [
            "-addext", "subjectAltName=" + ",".join(f"DNS:{d}" for d in spec.get("dnsNames") or [name])]
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(key), "-out", str(crt), "-days", "30", "-subj", f"/CN={name}", *extensions],
                       check=True, capture_output=True)
        data = {k: base64.b64encode(p.read_bytes()).decode() for k, p in (("tls.crt", crt), ("tls.key", key), ("ca.crt", crt))}
        secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "data": data,
                  "metadata": {"name": spec["secretName"], "namespace": meta["namespace"]}}
        self.api.request("POST", f"/api/v1/namespaces/{meta['namespace']}/secrets", secret)
        path = f"/apis/cert-manager.io/v1/namespaces/{meta['namespace']}/certificates/{meta['name']}/status"
        self.api.request("PATCH", path, {"status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "Ready", "message": "issued by the test's stand-in"}]}},
            content_type="merge")


def environment(engine: Engine, api: ControlPlane, projects: list[dict] | None = None) -> None:
    """The ci file copy, aimed at the local API server; `projects` replaces idp:projects."""
    doc = yaml.safe_load(engine.config_file.read_text())
    config = doc["config"]
    config["idp:cluster"]["existingKubeconfigFile"] = str(api.kubeconfig)
    config["idp:cluster"]["helmReleases"] = False
    # Traefik's dashboard password is a random.RandomPassword: the random provider cannot be built.
    config["idp:platform"]["traefik"]["dashboard"] = False
    # Likewise Longhorn's UI password and Grafana's admin password; the services that keep their
    # volumes on Longhorn's StorageClass take a class the test names instead (their Applications
    # are what the API server sees either way).
    config["idp:platform"]["longhorn"]["enabled"] = False
    config["idp:platform"]["grafana"]["enabled"] = False
    for key in ("victoriaMetrics", "victoriaLogs"):
        config["idp:platform"][key]["storageClass"] = "engine-test"
    if projects is not None:
        config["idp:projects"] = projects
    engine.config_file.write_text(yaml.safe_dump(doc, sort_keys=False))


def state(engine: Engine, layer: str) -> list[dict]:
    return engine.run("stack", "export", "--stack", engine.stack(layer)).json()["deployment"]["resources"]


def kube_objects(resources: list[dict]) -> list[dict]:
    """Kubernetes objects of a stack's state: type, URN, parent, and the object the server returned."""
    return [r for r in resources if r["type"].startswith("kubernetes:") and not r["type"].startswith("pulumi:providers")
            and r.get("custom") and "metadata" in (r.get("outputs") or {})]


def descendants(resources: list[dict], root_urn: str) -> list[dict]:
    children: dict[str, list[dict]] = {}
    for r in resources:
        children.setdefault(r.get("parent", ""), []).append(r)
    out, todo = [], [root_urn]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child["urn"])
    return out


def project_objects(resources: list[dict], project: str) -> list[dict]:
    root = next(r["urn"] for r in resources if r["type"] == "idp:tenant:Project" and r["urn"].endswith(f"::{project}"))
    return kube_objects(descendants(resources, root))


def live(api: ControlPlane, obj: dict) -> dict | None:
    out = obj["outputs"]
    return api.get(api.object_path(out["apiVersion"], out["kind"], out["metadata"]["name"], out["metadata"].get("namespace")))


@pytest.fixture(scope="module")
def deployed(kube_api: ControlPlane, tmp_path_factory) -> Engine:
    """ci-cluster, ci-platform and ci-projects up against the local API server, in runner order."""
    engine = make_engine(tmp_path_factory.mktemp("kube-engine"))
    declare_plugins(engine, "kubernetes")
    shutil_pack(engine)
    ci = yaml.safe_load((REPO / "Pulumi.ci.yaml").read_text())["config"]
    environment(engine, kube_api, projects=[*ci["idp:projects"], SECOND_PROJECT])
    init_stacks(engine, layers=("cluster", "platform", "projects"))
    set_ci_secrets(engine)
    engine.with_stack("cluster", "up", "--yes", timeout=600)
    with ControllerStandIn(kube_api, kube_api.root):
        engine.with_stack("platform", "up", "--yes", timeout=1800)
        engine.with_stack("projects", "up", "--yes", timeout=1200)
    return engine


def shutil_pack(engine: Engine) -> None:
    import shutil

    # The platform reads Kyverno's policies from policies/kyverno; the pack is policies/crossguard.
    shutil.copytree(REPO / "policies", engine.workdir / "policies", ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)


# --- the stack references --------------------------------------------------------------------


def test_cluster_stack_exports_the_local_api_server(deployed, kube_api):
    outputs = deployed.run("stack", "output", "--json", "--show-secrets", "--stack", deployed.stack("cluster")).json()
    assert outputs["endpoint"] == kube_api.server
    assert yaml.safe_load(outputs["kubeconfig"])["clusters"][0]["cluster"]["server"] == kube_api.server
    plain = deployed.run("stack", "output", "--json", "--stack", deployed.stack("cluster")).json()
    assert plain["kubeconfig"] == "[secret]"


# --- the platform layer ----------------------------------------------------------------------


def test_platform_objects_are_on_the_api_server(deployed, kube_api):
    resources = state(deployed, "platform")
    objects = kube_objects(resources)
    assert not [r for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"]
    kinds = {r["outputs"]["kind"] for r in objects}
    assert {"Namespace", "Application", "AppProject", "ClusterIssuer", "IPAddressPool", "ClusterPolicy"} <= kinds, kinds
    missing = [r["urn"] for r in objects if live(kube_api, r) is None]
    assert missing == []
    apps = [r for r in objects if r["outputs"]["kind"] == "Application"]
    assert {a["outputs"]["metadata"]["name"] for a in apps} >= {"argo-rollouts", "kyverno", "trivy-operator", "reloader"}


def test_platform_preview_and_second_up_change_nothing(deployed, kube_api):
    with ControllerStandIn(kube_api, kube_api.root):
        deployed.with_stack("platform", "preview", "--expect-no-changes", timeout=900)
        deployed.with_stack("platform", "up", "--yes", "--expect-no-changes", timeout=900)


# --- the projects layer ----------------------------------------------------------------------


def test_projects_up_created_every_object_of_each_project(deployed, kube_api):
    resources = state(deployed, "projects")
    for project in ("payments", "ledger"):
        objects = project_objects(resources, project)
        kinds = {r["outputs"]["kind"] for r in objects}
        assert {"Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "AppProject"} <= kinds, (project, kinds)
        assert [r["urn"] for r in objects if live(kube_api, r) is None] == []
    quota = kube_api.get("/api/v1/namespaces/ledger-staging/resourcequotas")["items"]
    assert quota and all(q.get("status", {}).get("hard") for q in quota)


def test_projects_preview_and_second_up_change_nothing(deployed, kube_api):
    with ControllerStandIn(kube_api, kube_api.root):
        deployed.with_stack("projects", "preview", "--expect-no-changes", timeout=900)
        deployed.with_stack("projects", "up", "--yes", "--expect-no-changes", timeout=900)


def test_removing_a_project_deletes_exactly_its_objects_and_adding_it_back_recreates_them(deployed, kube_api):
    before = state(deployed, "projects")
    ledger, payments = project_objects(before, "ledger"), project_objects(before, "payments")
    payments_uids = {r["urn"]: live(kube_api, r)["metadata"]["uid"] for r in payments}
    ci = yaml.safe_load((REPO / "Pulumi.ci.yaml").read_text())["config"]

    environment(deployed, kube_api, projects=ci["idp:projects"])
    with ControllerStandIn(kube_api, kube_api.root):
        deployed.with_stack("projects", "up", "--yes", timeout=1200)
    assert [r["urn"] for r in ledger if live(kube_api, r) is not None] == []
    # The other project's objects are the same objects as before (same uid), untouched.
    assert {r["urn"]: (live(kube_api, r) or {}).get("metadata", {}).get("uid") for r in payments} == payments_uids

    environment(deployed, kube_api, projects=[*ci["idp:projects"], SECOND_PROJECT])
    with ControllerStandIn(kube_api, kube_api.root):
        deployed.with_stack("projects", "up", "--yes", timeout=1200)
    assert [r["urn"] for r in ledger if live(kube_api, r) is None] == []


# --- CrossGuard ------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["platform", "projects"])
def test_policy_pack_reports_no_violation(deployed, kube_api, layer):
    pack = deployed.workdir / "policies" / "crossguard"
    with ControllerStandIn(kube_api, kube_api.root):
        result = deployed.with_stack(layer, "preview", "--policy-pack", str(pack), check=False, timeout=900)
    assert result.returncode == 0, result.output[-4000:]
    assert "idp-platform" in result.output
    assert "mandatory" not in result.output.lower(), result.output[-4000:]


NAMESPACE_WITHOUT_POD_SECURITY = '''import pulumi
import pulumi_kubernetes as k8s

provider = k8s.Provider("local", kubeconfig=open(pulumi.Config().require("kubeconfig")).read())
k8s.core.v1.Namespace("unlabelled", metadata={"name": "unlabelled"}, opts=pulumi.ResourceOptions(provider=provider))
'''


def test_policy_pack_fails_a_preview_that_breaks_a_rule(deployed, kube_api, tmp_path):
    """Validated config cannot break a rule (the config models reject what the rules reject), so
    the failing case is a program: a namespace without a Pod Security level, on the same API server."""
    work = tmp_path / "breaks-a-rule"
    work.mkdir()
    (work / "Pulumi.yaml").write_text("name: breaks\nruntime:\n  name: python\n  options:\n    virtualenv: .venv\n")
    declare_plugins(Engine(workdir=work, config_file=work / "unused"), "kubernetes")
    (work / "__main__.py").write_text(NAMESPACE_WITHOUT_POD_SECURITY)
    (work / ".venv").symlink_to(REPO / ".venv")
    engine = Engine(workdir=work, config_file=work / "Pulumi.dev.yaml", env=deployed.env)
    engine.run("stack", "init", "organization/breaks/dev")
    engine.run("config", "set", "breaks:kubeconfig", str(kube_api.kubeconfig), "--stack", "organization/breaks/dev")
    pack = deployed.workdir / "policies" / "crossguard"
    result = engine.run("preview", "--stack", "organization/breaks/dev", "--policy-pack", str(pack), check=False, timeout=600)
    assert result.returncode != 0
    assert "namespace-pod-security" in result.output, result.output[-4000:]
    assert kube_api.get("/api/v1/namespaces/unlabelled") is None
