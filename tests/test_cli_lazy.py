"""`idpctl` loads a sub-command's module only when that command runs.

Application teams run `idpctl app validate` in editors and pre-commit hooks; it must not import
the Pulumi SDK or any provider SDK, which only the platform's own commands need.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def imported_modules(*args: str) -> list[str]:
    """Module names `python -X importtime -m idpctl ARGS` reports importing (the command must succeed)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "idpctl", *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return [line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")]


def sdk_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0].startswith(("pulumi", "grpc"))]


def test_app_validate_imports_no_pulumi_or_provider_sdk():
    modules = imported_modules("app", "validate", "examples/hello/platform.yaml")
    assert "components.golden_path.render" in modules  # the measurement sees our imports
    assert sdk_modules(modules) == []


def test_render_still_imports_the_sdk_it_runs():
    modules = imported_modules("render", "--help")
    assert "pulumi" in modules and "idpctl.runtime" in modules


def test_help_lists_every_command_without_running_them():
    run = subprocess.run([sys.executable, "-m", "idpctl", "--help"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    commands = run.stdout.split("Commands:", 1)[1].split()
    for name in ("app", "ca", "project", "render", "validate"):
        assert name in commands


def test_an_unknown_command_is_a_usage_error():
    run = subprocess.run([sys.executable, "-m", "idpctl", "rendr"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2
    assert "No such command 'rendr'" in run.stderr and "Traceback" not in run.stderr
