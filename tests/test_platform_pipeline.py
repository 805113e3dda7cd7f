"""The platform repository's pipeline: it sets every secret the layers require, and publishes
what the golden path consumes with scripts that exist and parse.

The required secrets are not listed here: they come from the config model's declaration of
secret keys (`stacks.config.SECRET_KEYS`: key -> description and the layers that read it), and
the render confirms it -- rendering every layer records which secret keys the program reads.
A key added there without a line in the pipeline fails this test; so does a pipeline line for a
key no layer reads.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

import stacks.program
from stacks.config import SECRET_KEYS

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipelines" / "platform" / "bitbucket-pipelines.yml"
SCRIPTS = REPO / "pipelines" / "platform" / "scripts"


def _camel_to_env(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


def pipeline_secrets() -> dict[str, tuple[str, set[str]]]:
    """key -> (CI variable, stacks it is set on), from every `for pair in ...` loop of the pipeline."""
    found: dict[str, tuple[str, set[str]]] = {}
    text = PIPELINE.read_text()
    for loop in re.finditer(r"for pair in ([^;]+); do(.*?)done", text, flags=re.DOTALL):
        stacks = set(re.findall(r'--stack "\$ENV-(\w+)"', loop.group(2)))
        # as the shell reads it: a backslash before the line end continues the line
        for pair in re.sub(r"\\\n", " ", loop.group(1)).split():
            key, _, var = pair.partition(":")
            found[key] = (var, found.get(key, ("", set()))[1] | stacks)
    return found


def secrets_read_by_the_program(monkeypatch) -> set[str]:
    """Render every layer of the lab file and record each secret key the program reads."""
    from idpctl.runtime import run_layers

    read: set[str] = set()
    original = stacks.program.secret

    def recording(env, key):
        read.add(key)
        return original(env, key)

    import stacks.platform as platform_layer

    monkeypatch.setattr(stacks.program, "secret", recording)
    monkeypatch.setattr(platform_layer, "secret", recording)
    config = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())["config"]
    run_layers(["vms", "cluster", "platform", "projects"], "lab", config)
    return read


def test_the_pipeline_sets_every_secret_the_layers_require(monkeypatch):
    declared = {key: set(layers) for key, (_, layers) in SECRET_KEYS.items()}
    read = secrets_read_by_the_program(monkeypatch)
    assert read, "the render read no secret: the recorder is not where the layers read secrets"
    assert read <= set(declared), f"the program reads undeclared secrets {read - set(declared)}"
    in_pipeline = pipeline_secrets()
    assert set(in_pipeline) == set(declared), (
        f"missing from the pipeline: {sorted(set(declared) - set(in_pipeline))}; "
        f"not required by any layer: {sorted(set(in_pipeline) - set(declared))}"
    )
    for key, (var, stacks_set) in in_pipeline.items():
        # One environment file and one encryption salt serve the four stacks (docs/adr/0002), so a
        # value set through one runner-2 stack is read by every layer; runner 1 (vms) takes its
        # credentials from the environment, not as config secrets.
        assert declared[key] - {"vms"}, f"{key}: no runner-2 layer needs it"
        assert stacks_set and stacks_set <= {"cluster", "platform", "projects"}, f"{key} is set through {sorted(stacks_set)}"
        assert var == _camel_to_env(key), f"{key}: CI variable {var}, expected {_camel_to_env(key)}"


def test_the_header_documents_every_secured_variable():
    header = "\n".join(line for line in PIPELINE.read_text().splitlines() if line.startswith("#"))
    for key, (var, _) in pipeline_secrets().items():
        assert var in header, f"{var} ({key}) is not documented in the pipeline header"


def test_a_secret_missing_from_the_pipeline_is_caught(monkeypatch):
    monkeypatch.setitem(SECRET_KEYS, "pagerToken", ("a token no pipeline variable carries", ("platform",)))
    with pytest.raises(AssertionError, match="missing from the pipeline: \\['pagerToken'\\]"):
        test_the_pipeline_sets_every_secret_the_layers_require(monkeypatch)


def test_main_publishes_after_deploying_and_the_scripts_parse():
    pipelines = yaml.safe_load(PIPELINE.read_text())["pipelines"]
    main = [item["step"] for item in pipelines["branches"]["main"]]
    publish = main[-1]
    assert publish.get("oidc") is True, "publishing signs through Vault with the step's OIDC token"
    script = "\n".join(publish["script"])
    for name in ("publish-chart.sh", "publish-ci-tools.sh", "sign-mirrored.sh"):
        assert f"pipelines/platform/scripts/{name}" in script
    assert "sign-mirrored.sh" in "\n".join(pipelines["custom"]["sign-mirrored"][0]["step"]["script"])
    deploy = "\n".join(main[-2]["script"])
    assert re.search(r"for layer in cluster platform projects cluster;", deploy), "nodes get the CA after the platform"
    for script_path in SCRIPTS.glob("*.sh"):
        result = subprocess.run(["bash", "-n", str(script_path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script_path.name}: {result.stderr}"
    signing = (SCRIPTS / "lib.sh").read_text()
    assert 'cosign sign --yes --key "hashivault://' in signing and "role=platform-ci" in signing


def test_publish_chart_pushes_and_signs_the_pushed_digest(tmp_path):
    """publish-chart.sh with helm, cosign, vault and docker stubbed at the command boundary."""
    import os
    import shutil
    import sys

    stubs, log = tmp_path / "stubs", tmp_path / "calls.log"
    stubs.mkdir()
    answers = {
        "vault": 'case "$*" in *login*) echo hvs.platform;; *username*) echo "robot\\$platform-ci";; *) echo secret;; esac',
        "helm": 'case "$1" in registry) cat >/dev/null;; show) exit 1;; push) echo "Pushed: harbor.x/platform/platform-app:0.1.0"; '
                'echo "Digest: sha256:1234";; package) touch "$4/platform-app-0.1.0.tgz";; esac',
        "docker": 'cat >/dev/null', "cosign": ':',
    }
    for tool, body in answers.items():
        (stubs / tool).write_text(f'#!/usr/bin/env bash\necho "{tool} $* TRANSIT=${{TRANSIT_SECRET_ENGINE_PATH:-}}" >> "{log}"\n{body}\n')
        (stubs / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{Path(sys.executable).parent}:{os.environ['PATH']}",
           "IDP_DOMAIN": "lab.idp.internal", "VAULT_ADDR": "https://vault.lab.idp.internal",
           "BITBUCKET_STEP_OIDC_TOKEN": "oidc"}
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    result = subprocess.run(["bash", str(SCRIPTS / "publish-chart.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text().splitlines()
    assert any(c.startswith("vault write -field=token auth/bitbucket/login role=platform-ci") for c in calls)
    push = next(c for c in calls if c.startswith("helm push"))
    assert "oci://harbor.lab.idp.internal/platform" in push
    sign = next(c for c in calls if c.startswith("cosign sign"))
    assert "--key hashivault://cosign" in sign and "TRANSIT=transit" in sign
    assert "harbor.lab.idp.internal/platform/platform-app@sha256:1234" in sign, "signed by the digest helm pushed"


def _stub_tools(stubs: Path, log: Path, answers: dict[str, str]) -> None:
    stubs.mkdir()
    for tool, body in answers.items():
        (stubs / tool).write_text(f'#!/usr/bin/env bash\necho "{tool} $* TRANSIT=${{TRANSIT_SECRET_ENGINE_PATH:-}}" >> "{log}"\n{body}\n')
        (stubs / tool).chmod(0o755)


def test_release_tags_publish_the_portal_as_the_platform_robot():
    """The tag step runs publish-portal.sh with the step's OIDC token, never the Harbor admin."""
    step = yaml.safe_load(PIPELINE.read_text())["pipelines"]["tags"]["v*"][0]["step"]
    assert step.get("oidc") is True, "the script logs in to Vault with the step's OIDC token"
    script = "\n".join(step["script"])
    assert "pipelines/platform/scripts/publish-portal.sh" in script
    assert script.index("make portal") < script.index("publish-portal.sh"), "the site is built before the image"
    for admin in ("harborPassword", "harborUsername", "docker login", ":latest"):
        assert admin not in script, admin


def test_publish_portal_builds_on_the_pinned_mirror_pushes_and_signs_the_digest(tmp_path):
    """publish-portal.sh with vault, docker, helm and cosign stubbed at the command boundary; the
    repository is linked in, with a built site/ of its own."""
    import os
    import sys

    from components.platform.harbor import mirrored_images

    repo = tmp_path / "repo"
    repo.mkdir()
    for part in ("components", "platform", "pipelines"):
        (repo / part).symlink_to(REPO / part)
    (repo / "site").mkdir()
    (repo / "site" / "index.html").write_text("<html></html>")
    stubs, log = tmp_path / "stubs", tmp_path / "calls.log"
    _stub_tools(stubs, log, {
        "vault": 'case "$*" in *login*) echo hvs.platform;; *username*) echo "robot\\$platform-ci";; *) echo secret;; esac',
        "docker": 'case "$1" in login) cat >/dev/null;; inspect) echo "harbor.lab.idp.internal/platform/portal@sha256:5678";; esac',
        "helm": 'cat >/dev/null', "cosign": ':',
    })
    env = {**os.environ, "PATH": f"{stubs}:{Path(sys.executable).parent}:{os.environ['PATH']}",
           "IDP_DOMAIN": "lab.idp.internal", "VAULT_ADDR": "https://vault.lab.idp.internal",
           "BITBUCKET_STEP_OIDC_TOKEN": "oidc", "BITBUCKET_TAG": "v1.4.0"}
    script = repo / "pipelines" / "platform" / "scripts" / "publish-portal.sh"
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text().splitlines()
    assert any(c.startswith("vault write -field=token auth/bitbucket/login role=platform-ci") for c in calls)
    assert any(c.startswith("vault kv get -field=password secret/platform/harbor-ci") for c in calls)
    login = next(c for c in calls if c.startswith("docker login"))
    assert "--username robot$platform-ci" in login, "the platform robot, not the Harbor admin"
    build = next(c for c in calls if c.startswith("docker build"))
    pinned = [i.tag for i in mirrored_images() if i.repository == "nginxinc/nginx-unprivileged"]
    assert len(pinned) == 1 and pinned[0] != "latest", "platform/images.yaml pins the portal's base once"
    assert f"BASE=harbor.lab.idp.internal/library/nginx-unprivileged:{pinned[0]}" in build
    assert "-t harbor.lab.idp.internal/platform/portal:1.4.0" in build and "portal.Containerfile" in build
    assert any(c.startswith("docker push harbor.lab.idp.internal/platform/portal:1.4.0") for c in calls)
    sign = next(c for c in calls if c.startswith("cosign sign"))
    assert "--key hashivault://cosign" in sign and "TRANSIT=transit" in sign
    assert "harbor.lab.idp.internal/platform/portal@sha256:5678" in sign, "signed by the pushed digest"


def test_publish_portal_refuses_to_run_without_a_built_site_or_a_version(tmp_path):
    import os

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pipelines").symlink_to(REPO / "pipelines")
    script = repo / "pipelines" / "platform" / "scripts" / "publish-portal.sh"
    env = {k: v for k, v in os.environ.items() if k not in ("BITBUCKET_TAG", "PORTAL_VERSION")}
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "BITBUCKET_TAG" in result.stderr
    result = subprocess.run(["bash", str(script)], env={**env, "BITBUCKET_TAG": "v1.4.0"}, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "run make portal" in result.stderr
