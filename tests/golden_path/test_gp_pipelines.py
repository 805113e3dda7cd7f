"""The application pipeline template: its structure, its scripts, and the Trivy gate's threshold.

The gate is run as the pipeline runs it (bash + jq) on reports in Trivy's JSON format.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PIPELINE = REPO / "pipelines" / "app" / "bitbucket-pipelines.yml"
SCRIPTS = REPO / "pipelines" / "app" / "scripts"
REPORTS = HERE / "fixtures" / "trivy"


def _steps(pipeline: list) -> list[dict]:
    steps = []
    for item in pipeline:
        if "step" in item:
            steps.append(item["step"])
        elif "parallel" in item:
            steps.extend(s["step"] for s in item["parallel"]["steps"])
    return steps


def _scripts(step: dict) -> str:
    return "\n".join(step["script"])


def test_template_starts_with_its_schema_and_pins_its_image() -> None:
    text = PIPELINE.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    image = yaml.safe_load(text)["image"]
    assert re.fullmatch(r"[a-z0-9.-]+/platform/ci-tools:\d+\.\d+\.\d+", image)


def test_main_builds_gates_signs_deploys_then_waits_for_manual_promotion() -> None:
    main = _steps(yaml.safe_load(PIPELINE.read_text())["pipelines"]["branches"]["main"])
    order = [_scripts(s) for s in main]
    expected = ["build-push.sh", "sonar.sh", "trivy-gate.sh", "sign.sh", "deploy.sh staging", "promote.sh"]
    assert [next(e for e in expected if e in script) for script in order] == expected
    assert main[-1]["trigger"] == "manual" and main[-1]["deployment"] == "production"
    assert main[-2]["deployment"] == "staging"


def test_pull_requests_deploy_a_preview_and_custom_pipelines_exist() -> None:
    pipelines = yaml.safe_load(PIPELINE.read_text())["pipelines"]
    pr = _steps(pipelines["pull-requests"]["**"])
    assert 'deploy.sh preview "$BITBUCKET_PR_ID"' in _scripts(pr[-1])
    assert any("sign.sh" in _scripts(s) for s in pr)
    assert {"promote-to-production", "preview-cleanup"} <= set(pipelines["custom"])


def test_every_referenced_script_exists_and_parses(gp) -> None:
    text = PIPELINE.read_text()
    names = set(re.findall(r"/opt/idp/pipelines/app/scripts/([\w-]+\.sh)", text))
    assert names and all((SCRIPTS / n).is_file() for n in names)
    for script in SCRIPTS.glob("*.sh"):
        result = gp.run(["bash", "-n", str(script)])
        assert result.returncode == 0, f"{script.name}: {result.stderr}"


def test_no_secret_is_written_into_the_template() -> None:
    text = PIPELINE.read_text().lower()
    assert not re.search(r"(password|token|secret)\s*:\s*\S", text)


@pytest.mark.parametrize("report,passes", [("clean", True), ("three-critical", True), ("four-critical", False)])
def test_trivy_gate_allows_at_most_three_critical(report: str, passes: bool, gp) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (the ci-tools image has it)")
    result = gp.run(["bash", str(SCRIPTS / "trivy-gate.sh"), "--report", str(REPORTS / f"{report}.json")])
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    if not passes:
        assert "CVE-2026-1003" in result.stdout and "more than 3 critical" in result.stderr



def _git(*args: str, cwd: Path | None = None) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_deploy_promote_and_cleanup_commit_to_a_real_gitops_repository(tmp_path: Path, gp) -> None:
    """The deploy, promote and preview-cleanup scripts against a real (local) Git repository."""
    import os
    import sys

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    remote = _gitops_remote(tmp_path)

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "IDP_HOME": str(REPO),
           "GITOPS_REPO": f"file://{remote}", "IDP_DOMAIN": "lab.idp.internal"}
    app_dir = REPO / "examples" / "hello"

    def step(script: str, *args: str, **extra: str):
        result = gp.run(["bash", str(SCRIPTS / script), *args], cwd=app_dir, env={**env, **extra})
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    step("deploy.sh", "staging", BITBUCKET_COMMIT="1111111111111111111111111111111111111111")
    step("deploy.sh", "preview", "12", BITBUCKET_COMMIT="2222222222222222222222222222222222222222")
    skipped = step("deploy.sh", "preview", "13", BITBUCKET_COMMIT="3" * 40, BITBUCKET_BRANCH="preview/hello/x")
    assert "managed by the project's preview ApplicationSet" in skipped.stdout
    step("promote.sh")

    check = tmp_path / "check"
    _git("clone", "--quiet", str(remote), str(check))
    root = check / "apps" / "webshop" / "hello"
    staging = yaml.safe_load((root / "staging" / "values.yaml").read_text())
    production = yaml.safe_load((root / "production" / "values.yaml").read_text())
    preview = yaml.safe_load((root / "pr-12" / "application.yaml").read_text())
    assert not (root / "pr-13").exists()
    assert staging["image"]["tag"] == production["image"]["tag"] == "1" * 40
    assert production["app"]["environment"] == "production"
    assert preview["spec"]["destination"]["namespace"] == "webshop-pr-12"
    log = _git("log", "--format=%s", cwd=check)
    assert "promote(webshop/hello): production at 111111111111" in log

    step("preview-cleanup.sh", PR_ID="12")
    _git("pull", "--quiet", cwd=check)
    assert not (root / "pr-12").exists() and (root / "production").is_dir()


def _gitops_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "gitops.git"
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    seed = tmp_path / "seed"
    _git("clone", "--quiet", str(remote), str(seed))
    (seed / "README.md").write_text("gitops\n")
    _git("add", "README.md", cwd=seed)
    _git("-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "--quiet", "-m", "init", cwd=seed)
    _git("push", "--quiet", "origin", "HEAD:main", cwd=seed)
    return remote


def _stub(directory: Path, name: str, log: Path, answer: str = "") -> None:
    """A stand-in for an external command: records its arguments, prints `answer`."""
    directory.mkdir(exist_ok=True)
    script = directory / name
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "{name} $*" >> "{log}"\n'
                      f'[ "$1" = "--data" ] || true\n{f"echo {answer!r}" if answer else ""}\n'
                      'for a in "$@"; do case "$a" in @*) cat "${a#@}" >> "' + str(log) + '"; echo >> "' + str(log) + '";; esac; done\n')
    script.chmod(0o755)


def test_a_preview_reports_its_url_on_the_commit(tmp_path: Path, gp) -> None:
    """deploy.sh preview posts a Bitbucket build status with the preview's URL (curl and vault stubbed)."""
    import json
    import os
    import sys

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    remote = _gitops_remote(tmp_path)
    stubs, log = tmp_path / "stubs", tmp_path / "calls.log"
    _stub(stubs, "vault", log, answer="bitbucket-token-from-vault")
    _stub(stubs, "curl", log)
    env = {**os.environ, "PATH": f"{stubs}:{Path(sys.executable).parent}:{os.environ['PATH']}", "IDP_HOME": str(REPO),
           "GITOPS_REPO": f"file://{remote}", "IDP_DOMAIN": "lab.idp.internal", "VAULT_ADDR": "https://vault.x",
           "BITBUCKET_STEP_OIDC_TOKEN": "oidc", "BITBUCKET_COMMIT": "4" * 40, "BITBUCKET_REPO_FULL_NAME": "shop/hello",
           "PREVIEW_TTL_HOURS": "48"}
    result = gp.run(["bash", str(SCRIPTS / "deploy.sh"), "preview", "21"], cwd=REPO / "examples" / "hello", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text()
    assert "vault write -field=token auth/bitbucket/login role=project-webshop-ci jwt=oidc" in calls
    assert "vault kv get -field=bitbucket-token webshop/ci" in calls
    curl = next(line for line in calls.splitlines() if line.startswith("curl "))
    assert f"/repositories/shop/hello/commit/{'4' * 40}/statuses/build" in curl
    status = json.loads(next(line for line in calls.splitlines() if line.startswith("{")))
    assert status["url"] == "https://hello-pr-21.lab.idp.internal" and status["state"] == "SUCCESSFUL"
    assert "48h" in status["description"]
    assert "bitbucket-token-from-vault" not in curl, "the token goes through curl's config on stdin, not argv"


def test_previews_expire_after_their_time_to_live(tmp_path: Path, gp) -> None:
    """preview-expire.sh removes previews whose last deploy is older than PREVIEW_TTL_HOURS, keeps the rest."""
    import os
    import sys
    import time

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    remote = _gitops_remote(tmp_path)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "IDP_HOME": str(REPO),
           "GITOPS_REPO": f"file://{remote}", "IDP_DOMAIN": "lab.idp.internal"}
    app = REPO / "examples" / "hello"

    def run(script: str, *args: str, **extra: str):
        result = gp.run(["bash", str(SCRIPTS / script), *args], cwd=app, env={**env, **extra})
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    now = int(time.time())
    old = f"@{now - 80 * 3600} +0000"
    run("deploy.sh", "preview", "7", BITBUCKET_COMMIT="7" * 40, GIT_COMMITTER_DATE=old, GIT_AUTHOR_DATE=old)
    run("deploy.sh", "preview", "8", BITBUCKET_COMMIT="8" * 40)
    run("deploy.sh", "staging", BITBUCKET_COMMIT="9" * 40, GIT_COMMITTER_DATE=old, GIT_AUTHOR_DATE=old)
    out = run("preview-expire.sh", PREVIEW_TTL_HOURS="72", IDP_NOW=str(now))
    assert "expire pr-7 after 72h" in out.stdout
    check = tmp_path / "check"
    _git("clone", "--quiet", str(remote), str(check))
    root = check / "apps" / "webshop" / "hello"
    assert not (root / "pr-7").exists(), "older than the time-to-live, open pull request or not"
    assert (root / "pr-8").is_dir() and (root / "staging").is_dir(), "only previews, only expired ones"
    again = run("preview-expire.sh", PREVIEW_TTL_HOURS="72", IDP_NOW=str(now))
    assert "no preview of webshop/hello older than 72h" in again.stdout
    bad = gp.run(["bash", str(SCRIPTS / "preview-expire.sh")], cwd=app, env={**env, "PREVIEW_TTL_HOURS": "soon"})
    assert bad.returncode != 0 and "PREVIEW_TTL_HOURS must be a positive number" in bad.stderr
