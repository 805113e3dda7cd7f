"""The project's Python language host (scripts/toolchain/langhost) under the real CLI.

A stack that has no configuration at all reaches the host as an empty (nil) config map; the host
must hand the SDK an empty object, not `null`, or every program on such a stack crashes on start.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pulumi_cli import REPO, binary, engine_environment

pytestmark = pytest.mark.usefixtures("langhost_built")

PROGRAM = '''\
import pulumi

config = pulumi.Config()
pulumi.export("greeting", config.get("greeting") or "no config")
'''


def _pulumi(work: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary("pulumi")), *args, "--non-interactive"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


def test_stack_without_any_config_runs(tmp_path: Path, langhost_built):
    work = tmp_path / "noconfig"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(
        "name: noconfig\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n")
    (work / "__main__.py").write_text(PROGRAM)
    (work / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "backend").mkdir()
    (tmp_path / "home").mkdir()
    env = engine_environment(tmp_path / "home", tmp_path / "backend")

    assert _pulumi(work, env, "stack", "init", "organization/noconfig/dev").returncode == 0
    # `stack init` leaves a Pulumi.dev.yaml with only the passphrase salt: no config values.
    up = _pulumi(work, env, "up", "--yes", "--stack", "organization/noconfig/dev")
    assert up.returncode == 0, up.stdout + up.stderr
    out = _pulumi(work, env, "stack", "output", "greeting", "--stack", "organization/noconfig/dev")
    assert out.stdout.strip() == "no config"

    # The same program reads a value once the stack has one (the host passes config through).
    assert _pulumi(work, env, "config", "set", "noconfig:greeting", "hello",
                   "--stack", "organization/noconfig/dev").returncode == 0
    up = _pulumi(work, env, "up", "--yes", "--stack", "organization/noconfig/dev")
    assert up.returncode == 0, up.stdout + up.stderr
    out = _pulumi(work, env, "stack", "output", "greeting", "--stack", "organization/noconfig/dev")
    assert out.stdout.strip() == "hello"
