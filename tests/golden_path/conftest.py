"""Fixtures of the golden-path tests: fixture files, the real helm/trivy binaries, helm template.

helm and trivy are the real tools built by scripts/toolchain.sh into .tools/bin (or found via
$IDP_TOOLS_DIR/bin, then PATH); tests that need them skip with that reason until they exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "platform-app"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = sorted(p for p in (REPO / "examples").glob("*/*.yaml") if p.name in ("platform.yaml", "score.yaml", "values.yaml"))
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
KUBE_VERSION = "1.35.0"


def find_tool(name: str) -> str | None:
    """$IDP_TOOLS_DIR/bin, then <repo>/.tools/bin, then PATH."""
    dirs = [Path(os.environ["IDP_TOOLS_DIR"]) / "bin"] if os.environ.get("IDP_TOOLS_DIR") else []
    dirs.append(REPO / ".tools" / "bin")
    for directory in dirs:
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def _tool(name: str) -> str:
    path = find_tool(name)
    if path is None:
        pytest.skip(f"{name} is not built yet: run scripts/toolchain.sh (it builds {name} into .tools/bin; "
                    f"see .tools/logs/{name}.log)")
    return path


@pytest.fixture(scope="session")
def helm() -> str:
    return _tool("helm")


@pytest.fixture(scope="session")
def trivy() -> str:
    return _tool("trivy")


@pytest.fixture(scope="session")
def kyverno() -> str:
    return _tool("kyverno")


def run(cmd: list[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run a real tool; helm keeps its caches out of the home directory."""
    env = {**(env or os.environ), "HELM_CACHE_HOME": "/tmp/idp-helm/cache",
           "HELM_CONFIG_HOME": "/tmp/idp-helm/config", "HELM_DATA_HOME": "/tmp/idp-helm/data"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, **kwargs)


TemplateFn = Callable[..., list[dict]]


@pytest.fixture(scope="session")
def helm_template(helm: str) -> TemplateFn:
    """helm_template(values_file, release=..., namespace=...) -> rendered objects; fails on helm errors."""

    def _template(values_file: Path, release: str = "demo", namespace: str = "webshop-staging") -> list[dict]:
        result = run([helm, "template", release, str(CHART), "--namespace", namespace,
                      "--kube-version", KUBE_VERSION, "--values", str(values_file)])
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return _template


@pytest.fixture(scope="session")
def helm_fails(helm: str) -> Callable[[Path], str]:
    """helm_fails(values_file) -> stderr of a `helm template` that must fail."""

    def _fails(values_file: Path) -> str:
        result = run([helm, "template", "demo", str(CHART), "--kube-version", KUBE_VERSION,
                      "--values", str(values_file)])
        assert result.returncode != 0, "helm template unexpectedly succeeded"
        return result.stderr

    return _fails


def expectation(path: Path) -> tuple[str, str]:
    """(reason, expected `line: field: message` prefix) from an invalid fixture's header comments."""
    reason = expect = ""
    for line in path.read_text().splitlines():
        if line.startswith("# expect: "):
            expect = line[len("# expect: "):]
        elif line.startswith("# ") and not line.startswith("# yaml-language-server") and not reason:
            reason = line[2:]
    return reason, expect


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o.get("kind") == kind]


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    found = [o for o in by_kind(objects, kind) if name is None or o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {[o['metadata']['name'] for o in found]}"
    return found[0]


@pytest.fixture
def gp():
    """Helpers shared by the golden-path test modules (no package imports between test files)."""

    class Helpers:
        expectation = staticmethod(expectation)
        by_kind = staticmethod(by_kind)
        one = staticmethod(one)
        run = staticmethod(run)

    return Helpers
