"""The lock is the truth: pyproject.toml, uv.lock and the hashed requirements.txt agree.

Checked with uv itself (the tool that wrote the lock); skipped where uv is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UV = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))


def _uv(*args: str) -> subprocess.CompletedProcess:
    if UV is None:
        pytest.skip("uv is not installed (it is in the dev dependency group: make venv installs it)")
    return subprocess.run([UV, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_the_lock_matches_pyproject():
    run = _uv("lock", "--check", "--offline")
    assert run.returncode == 0, f"uv.lock is stale: run `make lock`\n{run.stderr}"


def test_requirements_is_the_export_of_the_lock():
    run = _uv("export", "--frozen", "--all-groups", "--no-emit-project", "--format", "requirements-txt")
    assert run.returncode == 0, run.stderr

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert body(run.stdout) == body((REPO / "requirements.txt").read_text()), "run `make lock`"


def test_the_package_declares_python_and_the_console_script():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"] == {"idpctl": "idpctl.cli:main"}
    makefile = (REPO / "Makefile").read_text()
    assert "--require-hashes --no-deps -r requirements.txt" in makefile, "make venv installs exactly the lock"
