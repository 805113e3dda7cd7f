"""The golden path end to end, offline: examples/hello/platform.yaml to an admitted workload.

The chain, each joint checked against what the other side really declares:
1. the app pipeline's own scripts (build-push.sh, sign.sh, deploy.sh staging) run against a real
   local GitOps repository; only the external commands they call (vault, docker, cosign, curl)
   are stubs on PATH that record their arguments -- git, python and idpctl are real;
2. the folder the pipeline committed is selected by exactly one git directory generator of all
   the ApplicationSets the platform and projects layers render, evaluated as Argo CD does
   (path.Match per requested path, over every directory of the checkout), and that one is the
   project's own; the root ApplicationSet selects nothing under apps/;
3. the Application the generator makes of the folder agrees with the committed application.yaml
   and everything it names exists in the rendered platform and projects layers: AppProject (which
   admits its destination and sources), namespace, the chart's Harbor project, the chart version,
   Argo CD's OCI repository credential, the image's Harbor project, the pull secret, the TLS issuer;
4. the pipeline's Vault login role, signing key and registry are the ones the layers create, and
   the role's policy lets CI sign but never read or export a key;
5. the rendered workload (helm template of the committed values) and its rendered namespace are
   admitted by the platform's rendered Kyverno policies, run by the real Kyverno CLI.
Each joint has a negative case below: break it and the chain reports exactly that break.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

import argo_eval
from kyverno_cli import kyverno_apply, trust_loopback
import vault_acl
from components.golden_path import layout
from tests.helm_values import helm_merge
from idpctl.render_cmd import kubernetes_objects
from idpctl.runtime import Registration, mask, run_layers, unwrap

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCRIPTS = REPO / "pipelines" / "app" / "scripts"
EXAMPLE = REPO / "examples" / "hello"
CHART = REPO / "charts" / "platform-app"
COMMIT = "c0ffee0123456789abcdef0123456789abcdef01"
DIGEST = "sha256:" + "ab" * 32

STUB = r"""#!/usr/bin/env bash
# Records the call (argv and the environment the real tool would read), answers like the tool.
python3 - "$(basename "$0")" "$@" <<'PY' >> "$STUB_LOG"
import json, os, sys
keep = ("VAULT_ADDR", "VAULT_TOKEN", "TRANSIT_SECRET_ENGINE_PATH")
print(json.dumps({"argv": sys.argv[1:], "env": {k: os.environ[k] for k in keep if k in os.environ}}))
PY
case "$(basename "$0") $1 $2" in
  "vault write "*) echo "hvs.ci-token" ;;
  "vault kv "*) case "$*" in *username*) echo 'robot$webshop+ci' ;; *password*) echo "robot-secret" ;; esac ;;
  "docker login"*) cat >/dev/null ;;
  "docker inspect"*) echo "${STUB_IMAGE%:*}@${STUB_DIGEST}" ;;
esac
exit 0
"""


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@dataclass
class Chain:
    """Everything the chain joins: the renders, the GitOps checkout, the stubbed calls."""

    config: dict
    platform: list[dict]
    projects: list[dict]
    platform_res: list[Registration]
    projects_res: list[Registration]
    exports: dict
    gitops: Path
    folder: str
    calls: list[dict] = field(default_factory=list)

    def objects(self) -> list[dict]:
        return self.platform + self.projects

    def registrations(self, type_token: str) -> list[dict]:
        return [mask(r.inputs) for r in self.platform_res + self.projects_res if r.type == type_token]


def _layers() -> tuple[dict, dict]:
    config = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())["config"]
    results, _ = run_layers(["platform", "projects"], "lab", config)
    return config, results


def _run_pipeline(tmp: Path) -> tuple[Path, list[dict]]:
    """build-push.sh, sign.sh, deploy.sh staging, as the main pipeline runs them; returns (checkout, calls)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    remote = tmp / "gitops.git"
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    seed = tmp / "seed"
    _git("clone", "--quiet", str(remote), str(seed))
    (seed / "platform" / "argocd-extras").mkdir(parents=True)
    (seed / "platform" / "argocd-extras" / "kustomization.yaml").write_text("resources: []\n")
    _git("add", ".", cwd=seed)
    _git("-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "--quiet", "-m", "init", cwd=seed)
    _git("push", "--quiet", "origin", "HEAD:main", cwd=seed)

    stubs = tmp / "stubs"
    stubs.mkdir()
    for tool in ("vault", "docker", "cosign", "curl"):
        (stubs / tool).write_text(STUB)
        (stubs / tool).chmod(0o755)
    app = tmp / "hello"
    shutil.copytree(EXAMPLE, app)
    log = tmp / "calls.jsonl"
    image = f"harbor.lab.idp.internal/webshop/hello:{COMMIT}"
    env = {
        **os.environ,
        "PATH": f"{stubs}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "IDP_HOME": str(REPO), "IDP_DOMAIN": "lab.idp.internal", "GITOPS_REPO": f"file://{remote}",
        "VAULT_ADDR": "https://vault.lab.idp.internal", "BITBUCKET_STEP_OIDC_TOKEN": "oidc-token-of-the-step",
        "BITBUCKET_COMMIT": COMMIT, "STUB_LOG": str(log), "STUB_IMAGE": image, "STUB_DIGEST": DIGEST,
    }
    for script, *args in (("build-push.sh",), ("sign.sh",), ("deploy.sh", "staging")):
        result = subprocess.run(["bash", str(SCRIPTS / script), *args], cwd=app, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, f"{script}: {result.stdout}{result.stderr}"
    checkout = tmp / "checkout"
    _git("clone", "--quiet", str(remote), str(checkout))
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return checkout, calls


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Chain:
    config, results = _layers()
    tmp = tmp_path_factory.mktemp("e2e")
    checkout, calls = _run_pipeline(tmp)
    folder = layout.app_dir("webshop", "hello", "staging")
    exports = {**results["platform"].exports}
    return Chain(
        config=config,
        platform=kubernetes_objects(results["platform"]),
        projects=kubernetes_objects(results["projects"]),
        platform_res=results["platform"].resources,
        projects_res=results["projects"].resources,
        exports=mask(exports),
        gitops=checkout,
        folder=folder,
        calls=calls,
    )


# -- the chain ---------------------------------------------------------------------------------


def _find(objects: list[dict], kind: str, name: str, namespace: str | None = None) -> dict | None:
    for obj in objects:
        meta = obj.get("metadata", {})
        if obj.get("kind") == kind and meta.get("name") == name and (namespace is None or meta.get("namespace") == namespace):
            return obj
    return None


def _calls(chain: Chain, tool: str, *prefix: str) -> list[dict]:
    return [c for c in chain.calls if c["argv"][0] == tool and c["argv"][1 : 1 + len(prefix)] == list(prefix)]


def _arg(argv: list[str], key: str) -> str | None:
    return next((a.split("=", 1)[1] for a in argv if a.startswith(f"{key}=")), None)


def walk(chain: Chain) -> list[str]:
    """Every broken joint of the chain, one line each; empty when the chain holds."""
    problems: list[str] = []
    folder_path = chain.gitops / chain.folder
    if not (folder_path / "values.yaml").is_file() or not (folder_path / "application.yaml").is_file():
        return [f"delivery: the pipeline did not commit {chain.folder}/{{values,application}}.yaml"]
    values = yaml.safe_load((folder_path / "values.yaml").read_text())
    committed = yaml.safe_load((folder_path / "application.yaml").read_text())
    project = values["app"]["project"]

    # 2. exactly one generator selects the folder, and it is the project's own.
    directories = argo_eval.repo_directories(chain.gitops)
    appsets = [o for o in chain.objects() if o["kind"] == "ApplicationSet"]
    selecting, generated = [], None
    for appset in appsets:
        apps = argo_eval.generate(appset, directories)
        for directory, app in apps.items():
            if directory.startswith(f"{layout.TENANT_ROOT}/") and app["spec"]["project"] != project:
                problems.append(f"delivery: ApplicationSet {appset['metadata']['name']} (project "
                                f"{app['spec']['project']}) selects tenant folder {directory}")
        if chain.folder in apps:
            selecting.append(appset["metadata"]["name"])
            generated = apps[chain.folder]
    if selecting != [f"{project}-apps"]:
        problems.append(f"delivery: {chain.folder} is selected by {selecting or 'no ApplicationSet'}, "
                        f"expected exactly {project}-apps")
    if generated is None:
        return problems

    # 3. the generated Application is what the committed file says, and what it names exists.
    spec = generated["spec"]
    chart_source = next(s for s in spec["sources"] if "chart" in s)
    values_source = next(s for s in spec["sources"] if s.get("ref") == "values")
    src = committed["spec"]["source"]
    for what, got, want in (
        ("name", generated["metadata"]["name"], committed["metadata"]["name"]),
        ("project", spec["project"], committed["spec"]["project"]),
        ("namespace", spec["destination"]["namespace"], committed["spec"]["destination"]["namespace"]),
        ("chart repository", chart_source["repoURL"], src["repoURL"]),
        ("chart", chart_source["chart"], src["chart"]),
        ("chart version", chart_source["targetRevision"], src["targetRevision"]),
        ("release", chart_source["helm"]["releaseName"], src["helm"]["releaseName"]),
    ):
        if got != want:
            problems.append(f"application: the ApplicationSet makes {what} {got!r}, application.yaml says {want!r}")
    for value_file in chart_source["helm"]["valueFiles"]:
        rel = value_file.removeprefix("$values/")
        if not (chain.gitops / rel).is_file():
            problems.append(f"application: values file {value_file} does not exist in the GitOps repository")
    gitops = chain.config["idp:platform"]["argocd"]["gitops"]
    if values_source["repoURL"] != gitops["url"]:
        problems.append(f"application: values come from {values_source['repoURL']}, the GitOps repository is {gitops['url']}")

    app_project = _find(chain.projects, "AppProject", spec["project"], "argocd")
    namespace = spec["destination"]["namespace"]
    if app_project is None:
        problems.append(f"project: AppProject {spec['project']} is not rendered")
    else:
        if not any(fnmatch.fnmatchcase(namespace, d["namespace"]) for d in app_project["spec"]["destinations"]):
            problems.append(f"project: AppProject {spec['project']} does not admit namespace {namespace}")
        for source in spec["sources"]:
            if not any(fnmatch.fnmatchcase(source["repoURL"], r) for r in app_project["spec"]["sourceRepos"]):
                problems.append(f"project: AppProject {spec['project']} does not admit source {source['repoURL']}")
    ns = _find(chain.projects, "Namespace", namespace)
    if ns is None:
        problems.append(f"namespace: {namespace} is not rendered")

    harbor_projects = {r["name"] for r in chain.registrations("harbor:index/project:Project")}
    registry, _, chart_project = chart_source["repoURL"].partition("/")
    if chart_project not in harbor_projects:
        problems.append(f"chart: Harbor project {chart_project!r} for {chart_source['repoURL']} is not created")
    chart_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
    if chart_source["targetRevision"] != chart_version:
        problems.append(f"chart: version {chart_source['targetRevision']} is not the chart's {chart_version}")
    # The Secret's stringData is one Pulumi secret; read it from the registration (never written out).
    secrets = [unwrap(r.inputs) for r in chain.platform_res if r.type == "kubernetes:core/v1:Secret"]
    credential = [
        {**o, "stringData": unwrap(o.get("stringData") or {})} for o in secrets
        if (o["metadata"].get("labels") or {}).get("argocd.argoproj.io/secret-type") == "repository"
        and unwrap(o.get("stringData") or {}).get("url") == chart_source["repoURL"]
    ]
    if not credential:
        problems.append(f"chart: Argo CD has no repository credential for {chart_source['repoURL']}")
    else:
        data = credential[0]["stringData"]
        if data.get("enableOCI") != "true" or not data.get("username") or "password" not in data:
            problems.append(f"chart: the credential for {chart_source['repoURL']} is not an OCI credential with a robot")

    image = values["image"]
    harbor_host = chain.exports.get("harborUrl", "").removeprefix("https://")
    if image["registry"] != harbor_host or registry != harbor_host:
        problems.append(f"image: registry {image['registry']} / chart registry {registry} is not Harbor {harbor_host}")
    if image["repository"].split("/")[0] not in harbor_projects:
        problems.append(f"image: Harbor project of {image['repository']} is not created")
    for pull in values.get("imagePullSecrets") or []:
        synced = [
            o for o in chain.projects
            if o["kind"] == "ExternalSecret" and o["metadata"]["namespace"] == namespace
            and o["spec"].get("target", {}).get("name") == pull
        ]
        if not synced:
            problems.append(f"pull secret: {pull} is not synced into {namespace}")
    effective = helm_merge(yaml.safe_load((CHART / "values.yaml").read_text()), values)
    issuer = ((effective.get("ingress") or {}).get("tls") or {}).get("clusterIssuer")
    if issuer and _find(chain.platform, "ClusterIssuer", issuer) is None:
        problems.append(f"tls: ClusterIssuer {issuer} is not rendered")

    problems += _ci_identity(chain, project, image, harbor_host)
    return problems



def _ci_identity(chain: Chain, project: str, image: dict, harbor_host: str) -> list[str]:
    """4. The pipeline's Vault role, signing key and registry are the layers' own; CI signs, never reads keys."""
    problems = []
    logins = _calls(chain, "vault", "write", "-field=token")
    if not logins:
        return ["ci: the pipeline never logged in to Vault"]
    mount = logins[0]["argv"][3].removeprefix("auth/").removesuffix("/login")
    role_name = _arg(logins[0]["argv"], "role")
    backends = {r["path"] for r in chain.registrations("vault:jwt/authBackend:AuthBackend")}
    if mount not in backends:
        problems.append(f"ci: the pipeline logs in at auth/{mount}, the platform's JWT mounts are {sorted(backends)}")
    roles = [r for r in chain.registrations("vault:jwt/authBackendRole:AuthBackendRole") if r["roleName"] == role_name]
    if not roles:
        return problems + [f"ci: Vault JWT role {role_name} is not created"]
    role = roles[0]
    uuids = next(p for p in chain.config["idp:projects"] if p["name"] == project)["ci"]["repositoryUuids"]
    if role["boundClaims"].get("repositoryUuid", "").split(",") != uuids or role["backend"] != mount:
        problems.append(f"ci: role {role_name} is not bound to {project}'s repositories on auth/{mount}")
    policies = [p["policy"] for p in chain.registrations("vault:index/policy:Policy") if p["name"] in role["tokenPolicies"]]

    signs = _calls(chain, "cosign", "sign")
    if not signs:
        return problems + ["signing: the pipeline never signed"]
    argv, env = signs[0]["argv"], signs[0]["env"]
    key_ref = argv[argv.index("--key") + 1]
    transit = env.get("TRANSIT_SECRET_ENGINE_PATH", "transit")
    key_name = key_ref.removeprefix("hashivault://")
    keys = [k for k in chain.registrations("vault:transit/secretBackendKey:SecretBackendKey")
            if k["name"] == key_name and k["backend"] == transit]
    if not key_ref.startswith("hashivault://") or not keys:
        problems.append(f"signing: cosign signs with {key_ref} on {transit}/, which is not the platform's Transit key")
    elif keys[0].get("exportable") or keys[0].get("allowPlaintextBackup"):
        problems.append(f"signing: Transit key {key_name} can leave Vault")
    if argv[-1] != f"{harbor_host}/{image['repository']}@{DIGEST}":
        problems.append(f"signing: cosign signs {argv[-1]}, not the pushed digest")
    if not vault_acl.allows(policies, f"{transit}/sign/{key_name}/sha2-256", "update"):
        problems.append(f"signing: role {role_name} may not sign with {transit}/sign/{key_name}")
    for path, capability in (
        (f"{transit}/keys/{key_name}", "read"), (f"{transit}/export/signing-key/{key_name}", "read"),
        (f"{transit}/backup/{key_name}", "read"), (f"{transit}/keys/{key_name}/config", "update"),
        (f"{transit}/keys/{key_name}/rotate", "update"), ("secret/data/platform/cosign", "read"),
    ):
        if vault_acl.allows(policies, path, capability):
            problems.append(f"signing: role {role_name} may {capability} {path}")
    logins_docker = _calls(chain, "docker", "login")
    if not logins_docker or logins_docker[0]["argv"][2] != harbor_host:
        problems.append(f"registry: the pipeline does not log in to Harbor {harbor_host}")
    robot = f"{project}/data/harbor"
    if not vault_acl.allows(policies, robot, "read"):
        problems.append(f"registry: role {role_name} may not read the robot credentials at {robot}")
    return problems


def test_the_chain_holds(chain: Chain) -> None:
    assert walk(chain) == []


def test_the_pipeline_committed_only_the_app_folder(chain: Chain) -> None:
    log = _git("log", "--name-only", "--format=%s", cwd=chain.gitops)
    assert f"deploy(webshop/hello): staging at {COMMIT[:12]}" in log
    changed = {line for line in log.splitlines() if "/" in line and not line.startswith("deploy(")}
    assert changed >= {f"{chain.folder}/values.yaml", f"{chain.folder}/application.yaml"}
    assert all(p.startswith(f"{chain.folder}/") or p.startswith("platform/") for p in changed), changed


# -- breaking a joint breaks the chain ---------------------------------------------------------


def _drop(objects: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [o for o in objects if not (o["kind"] == kind and (name is None or o["metadata"]["name"] == name))]


def _drop_res(res: list[Registration], type_token: str, name: str | None = None) -> list[Registration]:
    return [r for r in res if not (r.type == type_token and (name is None or r.inputs.get("name") == name))]


def _edit_appset(name: str, edit: Callable[[dict], None]) -> Callable[[Chain], Chain]:
    def mutate(chain: Chain) -> Chain:
        objects = copy.deepcopy(chain.projects + chain.platform)
        for obj in objects:
            if obj["kind"] == "ApplicationSet" and obj["metadata"]["name"] == name:
                edit(obj)
        n = len(chain.projects)
        return replace(chain, projects=objects[:n], platform=objects[n:])
    return mutate


def _set_generator(paths: list[str]) -> Callable[[dict], None]:
    def edit(appset: dict) -> None:
        appset["spec"]["generators"][0]["git"]["directories"] = [{"path": p} for p in paths]
    return edit


def _move_folder(to: str) -> Callable[[Chain], Chain]:
    def mutate(chain: Chain) -> Chain:
        moved = chain.gitops.parent / f"moved-{to.replace('/', '-')}"
        if not moved.exists():
            shutil.copytree(chain.gitops, moved)
            (moved / to).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(moved / chain.folder), str(moved / to))
        return replace(chain, gitops=moved, folder=to)
    return mutate


def _edit_committed(edit: Callable[[dict], None], name: str = "application.yaml") -> Callable[[Chain], Chain]:
    def mutate(chain: Chain) -> Chain:
        target = chain.gitops.parent / f"edited-{name}-{id(edit)}"
        if not target.exists():
            shutil.copytree(chain.gitops, target)
            path = target / chain.folder / name
            data = yaml.safe_load(path.read_text())
            edit(data)
            path.write_text(yaml.safe_dump(data))
        return replace(chain, gitops=target)
    return mutate


def _edit_calls(tool: str, edit: Callable[[dict], None]) -> Callable[[Chain], Chain]:
    def mutate(chain: Chain) -> Chain:
        calls = copy.deepcopy(chain.calls)
        for call in calls:
            if call["argv"][0] == tool:
                edit(call)
        return replace(chain, calls=calls)
    return mutate


def _set_arg(old: str, new: str) -> Callable[[dict], None]:
    def edit(call: dict) -> None:
        call["argv"] = [new if a == old else a for a in call["argv"]]
    return edit


def _loosen_ci_policy(chain: Chain) -> Chain:
    res = copy.deepcopy(chain.projects_res)
    for r in res:
        if r.type == "vault:index/policy:Policy" and r.inputs.get("name") == "project-webshop-ci":
            doc = json.loads(r.inputs["policy"])
            doc["path"]["transit/keys/*"] = {"capabilities": ["read"]}
            r.inputs["policy"] = json.dumps(doc)
    return replace(chain, projects_res=res)


def _exportable_key(chain: Chain) -> Chain:
    res = copy.deepcopy(chain.platform_res)
    for r in res:
        if r.type == "vault:transit/secretBackendKey:SecretBackendKey":
            r.inputs["exportable"] = True
    return replace(chain, platform_res=res)


BREAKS: dict[str, tuple[Callable[[Chain], Chain], str]] = {
    "generator misses the env folder": (
        _edit_appset("webshop-apps", _set_generator(["apps/webshop/*/stage"])), "selected by no ApplicationSet"),
    "generator one level too deep": (
        _edit_appset("webshop-apps", _set_generator(["apps/webshop/*/*/staging"])), "selected by no ApplicationSet"),
    "pipeline writes another layout": (_move_folder("apps/webshop/staging/hello"), "selected by no ApplicationSet"),
    "root ApplicationSet sees tenant folders": (
        _edit_appset("root", _set_generator(["apps/*/*/*"])), "ApplicationSet root (project platform) selects tenant folder"),
    "another project's ApplicationSet reaches in": (
        _edit_appset("payments-apps", _set_generator(["apps/*/*/staging"])), "expected exactly webshop-apps"),
    "application.yaml names another chart version": (
        _edit_committed(lambda a: a["spec"]["source"].__setitem__("targetRevision", "9.9.9")), "chart version"),
    "application.yaml names another namespace": (
        _edit_committed(lambda a: a["spec"]["destination"].__setitem__("namespace", "webshop-prod")), "makes namespace"),
    "no AppProject": (lambda c: replace(c, projects=_drop(c.projects, "AppProject", "webshop")), "AppProject webshop is not rendered"),
    "AppProject without the GitOps repository": (
        _edit_appset("webshop-apps", lambda a: a["spec"]["template"]["spec"]["sources"][1].__setitem__("repoURL", "https://elsewhere.invalid/gitops.git")),
        "values come from"),
    "no namespace": (lambda c: replace(c, projects=_drop(c.projects, "Namespace", "webshop-staging")), "namespace: webshop-staging"),
    "no Harbor project for the chart": (
        lambda c: replace(c, platform_res=_drop_res(c.platform_res, "harbor:index/project:Project", "platform")), "chart: Harbor project 'platform'"),
    "no Argo CD credential for the chart": (
        lambda c: replace(c, platform_res=[r for r in c.platform_res if r.name != "artifacts-argocd-repository"]),
        "no repository credential"),
    "no Harbor project for the image": (
        lambda c: replace(c, projects_res=_drop_res(c.projects_res, "harbor:index/project:Project", "webshop")), "image: Harbor project"),
    "no pull secret": (
        lambda c: replace(c, projects=[o for o in c.projects if not (o["kind"] == "ExternalSecret" and o["metadata"]["name"] == "webshop-harbor-pull")]),
        "pull secret: webshop-harbor-pull"),
    "no ClusterIssuer": (lambda c: replace(c, platform=_drop(c.platform, "ClusterIssuer")), "tls: ClusterIssuer platform-ca"),
    "no CI role": (
        lambda c: replace(c, projects_res=_drop_res(c.projects_res, "vault:jwt/authBackendRole:AuthBackendRole")), "role project-webshop-ci is not created"),
    "pipeline logs in with another role": (
        _edit_calls("vault", _set_arg("role=project-webshop-ci", "role=webshop-ci")), "role webshop-ci is not created"),
    "no JWT mount": (
        lambda c: replace(c, platform_res=_drop_res(c.platform_res, "vault:jwt/authBackend:AuthBackend")), "JWT mounts are []"),
    "pipeline signs with another key": (
        _edit_calls("cosign", _set_arg("hashivault://cosign", "hashivault://other")), "not the platform's Transit key"),
    "CI role bound to another repository": (
        lambda c: replace(c, projects_res=[
            replace(r, inputs={**r.inputs, "boundClaims": {"repositoryUuid": "{00000000-0000-0000-0000-000000000000}"}})
            if r.type == "vault:jwt/authBackendRole:AuthBackendRole" else r for r in c.projects_res]),
        "is not bound to webshop's repositories"),
    "pipeline pushes to another registry": (
        _edit_calls("docker", _set_arg("harbor.lab.idp.internal", "registry.example.com")), "does not log in to Harbor"),
    "CI may read keys": (_loosen_ci_policy, "may read transit/keys/cosign"),
    "signing key exportable": (_exportable_key, "can leave Vault"),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_breaking_a_joint_breaks_the_chain(chain: Chain, name: str) -> None:
    mutate, expected = BREAKS[name]
    problems = walk(mutate(chain))
    assert any(expected in p for p in problems), (name, problems)


# -- 5. the platform's admission policies admit the rendered workload ----------------------------

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Rollout"}


def _pods(objects: list[dict], namespace: str) -> list[dict]:
    """The Pods the workloads' controllers would create (Rollouts are not in Kyverno's autogen)."""
    pods = []
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            template = obj["spec"]["template"]
            meta = copy.deepcopy(template.get("metadata") or {})
            meta.update(name=f"{obj['metadata']['name']}-0", namespace=namespace)
            pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template["spec"])})
    return pods


def _with_registry(value: Any, old: str, new: str) -> Any:
    return yaml.safe_load(yaml.safe_dump(value).replace(old, new))


@dataclass
class Admission:
    summary: dict[str, int]
    output: str
    requests: list[str]


def _admit(chain: Chain, kyverno: str, helm_template: Callable, tmp: Path, *, sign: bool = True,
           image_registry: str | None = None) -> Admission:
    """Run the rendered platform and project ClusterPolicies over the rendered workload and namespace.

    Signatures are looked up in a loopback registry serving the image the pipeline pushed (signed
    with a key made here): the rendered policy is used with only its registry host and public key
    swapped for that registry's, as the platform stack swaps them for Harbor's and the Transit key's.
    """
    sys.path.insert(0, str(REPO / "tests" / "security"))
    from oci_registry import KeyPair, Registry, RegistryServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (signatures for the loopback registry)")
    tmp.mkdir(parents=True, exist_ok=True)
    values_file = chain.gitops / chain.folder / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    namespace_name = f"{values['app']['project']}-staging"
    rendered = helm_template(values_file, release=values["app"]["name"], namespace=namespace_name)
    pods = _pods(rendered, namespace_name)
    assert pods, "the chart rendered no workload"
    namespace = _find(chain.projects, "Namespace", namespace_name)
    assert namespace is not None
    harbor = chain.exports["harborUrl"].removeprefix("https://")
    keys = KeyPair.generate(tmp, "platform")
    registry = Registry()
    with RegistryServer(registry) as reg:
        repository = values["image"]["repository"]
        digest = reg.add_image(repository, str(values["image"]["tag"]))
        if sign:
            reg.sign(repository, digest, keys)
        policies = []
        for policy in [o for o in chain.objects() if o["kind"] == "ClusterPolicy"]:
            policy = _with_registry(policy, harbor, reg.host)
            policies.append(trust_loopback(policy, keys.public_pem))
        pods = _with_registry(pods, harbor, image_registry or reg.host)
        workloads = [{**o, "metadata": {**o["metadata"], "namespace": namespace_name}}
                     for o in rendered if o["kind"] in WORKLOADS]
        workloads = _with_registry(workloads, harbor, image_registry or reg.host)
        # The Kyverno CLI has no cluster to read pull secrets from and crashes on a pod that names
        # one (nil secret lister); the loopback registry is anonymous, and that the pull secret
        # exists is its own joint (test_the_chain_holds, "no pull secret").
        pods, workloads = _without_pull_secrets(pods), _without_pull_secrets(workloads)
        summary, output = kyverno_apply(kyverno, tmp, policies, namespace, [*workloads, *pods])
        requests = list(reg.requests)
    return Admission(summary, output, requests)


def _without_pull_secrets(objs: list[dict]) -> list[dict]:
    """Copies of pods and workloads without `imagePullSecrets` in their pod spec."""
    out = copy.deepcopy(objs)
    for obj in out:
        spec = obj.get("spec") or {}
        pod_spec = (spec.get("template") or {}).get("spec") if obj.get("kind") != "Pod" else spec
        if isinstance(pod_spec, dict):
            pod_spec.pop("imagePullSecrets", None)
    return out


def test_the_platform_policies_admit_the_rendered_workload(chain, kyverno, helm_template, tmp_path):
    result = _admit(chain, kyverno, helm_template, tmp_path)
    assert result.summary["fail"] == 0 and result.summary["error"] == 0, result.output
    # Evaluated, not skipped: signatures were looked up, and every policy that selects pods passed.
    assert any(r.endswith(".sig") for r in result.requests), result.requests
    assert result.summary["pass"] >= 4, result.output


@pytest.mark.parametrize("case", ["unsigned image", "image from another registry"])
def test_the_platform_policies_reject_a_broken_supply_chain(chain, kyverno, helm_template, tmp_path, case):
    if case == "unsigned image":
        result = _admit(chain, kyverno, helm_template, tmp_path, sign=False)
    else:
        result = _admit(chain, kyverno, helm_template, tmp_path, image_registry="docker.io")
    assert result.summary["fail"] + result.summary["error"] > 0, result.output
