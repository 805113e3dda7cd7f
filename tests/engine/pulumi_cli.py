"""Helpers for the real-engine suite: the toolchain's binaries, a throwaway backend, the CLI.

The suite runs the Pulumi CLI built by `scripts/toolchain.sh` (and the plugins it could build)
against a local file backend in a temporary directory. Nothing reaches a network service: plugin
acquisition is off, the update check is off, and vSphere is vcsim on 127.0.0.1. A test that needs
a binary the toolchain could not build skips and says which one and why (the reason comes from
the toolchain's own logs in .tools/logs).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("IDP_TOOLS_DIR", REPO / ".tools"))
BIN = TOOLS / "bin"
LOGS = TOOLS / "logs"
ORG = "organization"
PROJECT = "idp"
LAYERS = ("vms", "cluster", "platform", "projects")



def why_missing(tool: str) -> str:
    """The toolchain's own one-line reason for a tool it did not build (logs/<tool>.reason)."""
    reason = LOGS / f"{tool}.reason"
    if reason.exists():
        return reason.read_text().strip()
    return "not attempted yet: run scripts/toolchain.sh"


def binary(name: str) -> Path:
    return BIN / name


def require_binaries(*pairs: tuple[str, str]) -> None:
    """Skip unless every (tool, binary) is built; the reason names each missing one and why."""
    missing = [f"{b} ({why_missing(t)})" for t, b in pairs if not os.access(binary(b), os.X_OK)]
    if missing:
        pytest.skip("not built by scripts/toolchain.sh: " + "; ".join(missing))


PROVIDER_PAIRS = {name: (name, f"pulumi-resource-{name}") for name in
                  ("kubernetes", "talos", "tls", "random", "command", "vsphere", "vault", "harbor")}


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self):
        return json.loads(self.stdout)


@dataclass
class Engine:
    """The CLI bound to one throwaway backend, one Pulumi home and one environment file copy."""

    workdir: Path
    config_file: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True, timeout: int = 600, stdin: str | None = None) -> Result:
        cmd = [str(binary("pulumi")), *args, "--non-interactive"]
        proc = subprocess.run(
            cmd, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=timeout, input=stdin
        )
        result = Result(cmd, proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{result.output[-6000:]}")
        return result

    def stack(self, layer: str, env: str = "ci") -> str:
        return f"{ORG}/{PROJECT}/{env}-{layer}"

    def with_stack(self, layer: str, *args: str, **kw) -> Result:
        """`pulumi <args> --stack <ci-layer> --config-file <copy>`, the runners' invocation."""
        return self.run(*args, "--stack", self.stack(layer), "--config-file", str(self.config_file), **kw)


def engine_environment(home: Path, backend: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "VSPHERE_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=backend.as_uri(),
        # A fresh random passphrase per run: the backend lives only as long as the test session.
        PULUMI_CONFIG_PASSPHRASE=secrets.token_urlsafe(24),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_SKIP_CONFIRMATIONS="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
    )
    return env


def make_engine(tmp: Path) -> Engine:
    """An engine whose working directory is a copy of the program, so no test writes to the repo."""
    work = tmp / "program"
    work.mkdir()
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.ci.yaml"):
        shutil.copy2(REPO / name, work / name)
    # The program's packages and the data it reads beside them (the base chart's version, the
    # mirrored image list, alert rules and dashboards, the Kyverno policies).
    for pkg in ("stacks", "components", "charts", "platform", "policies"):
        shutil.copytree(REPO / pkg, work / pkg, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    # The program's virtualenv is the repo's (Pulumi.yaml says `virtualenv: .venv`).
    (work / ".venv").symlink_to(REPO / ".venv")
    backend = tmp / "backend"
    backend.mkdir()
    home = tmp / "pulumi-home"
    home.mkdir()
    return Engine(workdir=work, config_file=work / "Pulumi.ci.yaml", env=engine_environment(home, backend))


def init_stacks(engine: Engine, layers=LAYERS, keep_stack_files: bool = False) -> None:
    """`pulumi stack init` for each layer, as the runners do once per environment.

    `stack init` has no --config-file flag: with the passphrase provider it writes a salt of its
    own into Pulumi.<stack>.yaml. The runners never read that file (every later command passes
    --config-file), and a fresh clone does not have it, so it is removed unless asked to keep it.
    """
    for layer in layers:
        engine.run("stack", "init", engine.stack(layer))
        if not keep_stack_files:
            (engine.workdir / f"Pulumi.ci-{layer}.yaml").unlink(missing_ok=True)


def secret_keys(layer: str | None = None) -> list[str]:
    """The secret config keys the program declares (stacks/config.py), all or one layer's."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from stacks.config import NAMESPACE, SECRET_KEYS

    return [f"{NAMESPACE}:{k}" for k, (_, layers) in SECRET_KEYS.items() if layer is None or layer in layers]


def set_ci_secrets(engine: Engine, layer: str = "platform") -> dict[str, str]:
    """Throwaway values for every secret key, set through one stack into the shared file."""
    values = {key: "s-" + secrets.token_hex(12) for key in secret_keys()}
    for key, value in values.items():
        engine.with_stack(layer, "config", "set", "--secret", key, value)
    return values


def declare_plugins(engine: Engine, *names: str) -> None:
    """Declare the toolchain's provider binaries in the program copy's Pulumi.yaml (`plugins.providers`).

    The pip SDKs may be newer than the plugin the toolchain could build (pulumi-kubernetes 4.34.2 asks
    for plugin 4.34.2; the proxy serves the 4.25.0 release): a project plugin without a version is used
    whatever version the SDK asks for, and nothing is looked up on PATH or downloaded.
    """
    import yaml

    path = engine.workdir / "Pulumi.yaml"
    project = yaml.safe_load(path.read_text())
    providers = project.setdefault("plugins", {}).setdefault("providers", [])
    providers += [{"name": name, "path": str(BIN)} for name in names]
    path.write_text(yaml.safe_dump(project, sort_keys=False))
