"""`VaultInit` under the real Pulumi engine: `pulumi up` twice against the fake Vault of
`fake_vault.py` (no real Vault runs here; see test_vault_init.py for why), with the CLI and Python
language host built by `scripts/toolchain.sh`, a local file backend and no network beyond
127.0.0.1.

This is the "done" criterion at the engine level: after the first `up` initialised and unsealed
Vault, `pulumi preview --expect-no-changes` succeeds and a second `up` writes nothing to Vault;
after a pod restarts sealed, the preview shows a change and the next `up` unseals that pod only.
The dynamic provider runs in its own process (`python -m pulumi.dynamic`, the upstream
`pulumi-resource-pulumi-python` plugin, written here as a two-line shim because the toolchain
builds only the Go binaries).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from fake_vault import FakeVault, FakeVaultServer

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("IDP_TOOLS_DIR", REPO / ".tools")) / "bin"
STACK = "organization/vault-init-test/dev"

PROGRAM = '''\
"""One VaultInit against the kubeconfig in config; exports whether outputs are secret."""
import pulumi
from components.platform.vault_init import VaultInit

config = pulumi.Config()
init = VaultInit(
    "vault-init",
    kubeconfig=config.require_secret("kubeconfig"),
    namespace="vault",
    pods=["vault-0", "vault-1", "vault-2"],
)
pulumi.export("unsealKeys", init.unseal_keys)
pulumi.export("rootToken", init.root_token)
pulumi.export("lastUnsealed", init.last_unsealed)
'''


@pytest.fixture
def project(tmp_path):
    for name in ("pulumi", "pulumi-language-python", "pulumi-language-python-exec"):
        if not os.access(BIN / name, os.X_OK):
            pytest.skip(f"{name} not built (scripts/toolchain.sh)")
    work = tmp_path / "program"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(
        "name: vault-init-test\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n"
    )
    (work / "__main__.py").write_text(PROGRAM)
    (work / ".venv").symlink_to(REPO / ".venv")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shim = plugins / "pulumi-resource-pulumi-python"
    shim.write_text(f'#!/bin/sh\nexec "{REPO / ".venv" / "bin" / "python"}" -u -m pulumi.dynamic "$@"\n')
    shim.chmod(0o755)
    backend, home = tmp_path / "backend", tmp_path / "home"
    backend.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.update(
        PATH=os.pathsep.join([str(BIN), str(plugins), str(REPO / ".venv" / "bin"), env.get("PATH", "")]),
        PYTHONPATH=str(REPO),
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=backend.as_uri(),
        PULUMI_CONFIG_PASSPHRASE=secrets.token_urlsafe(24),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        NO_PROXY="127.0.0.1,localhost",
    )

    def pulumi(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(BIN / "pulumi"), *args, "--non-interactive"],
            cwd=work, env=env, capture_output=True, text=True, timeout=600,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} exited {proc.returncode}:\n{(proc.stdout + proc.stderr)[-5000:]}")
        return proc

    pulumi("stack", "init", STACK)
    return pulumi, work


def test_second_up_changes_nothing_and_a_restarted_pod_is_unsealed_alone(project):
    pulumi, work = project
    with FakeVaultServer(FakeVault()) as vault:
        pulumi("config", "set", "--secret", "kubeconfig", vault.kubeconfig, "--stack", STACK)
        pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
        assert vault.initialized and [w for w in vault.writes if w[1] == "init"] == [("vault-0", "init")]
        assert all(not p["sealed"] for p in vault.pods.values())

        outputs = json.loads(pulumi("stack", "output", "--json", "--stack", STACK).stdout)
        assert outputs["unsealKeys"] == "[secret]" and outputs["rootToken"] == "[secret]"
        state = pulumi("stack", "export", "--stack", STACK).stdout
        assert vault.root_token not in state and vault.keys[0] not in state, "keys are encrypted in state"
        revealed = json.loads(pulumi("stack", "output", "--json", "--show-secrets", "--stack", STACK).stdout)
        assert revealed["unsealKeys"] == vault.keys and revealed["rootToken"] == vault.root_token

        # Second run against an unsealed Vault: no diff, no write.
        writes = list(vault.writes)
        pulumi("preview", "--expect-no-changes", "--stack", STACK)
        up = pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
        assert vault.writes == writes, "the second run wrote to Vault"
        assert "~ " not in up.stdout.split("Resources:")[-1] and "unchanged" in up.stdout

        # A node failure: vault-1 comes back sealed; only it is unsealed.
        vault.restart("vault-1")
        preview = pulumi("preview", "--expect-no-changes", "--stack", STACK, check=False)
        assert preview.returncode != 0, preview.stdout
        vault.writes.clear()
        pulumi("up", "--yes", "--skip-preview", "--stack", STACK)
        assert vault.writes and {pod for pod, _ in vault.writes} == {"vault-1"}
        assert all(op == "unseal" for _, op in vault.writes)
        assert not vault.pods["vault-1"]["sealed"]
        after = json.loads(pulumi("stack", "output", "--json", "--show-secrets", "--stack", STACK).stdout)
        assert after["lastUnsealed"] == ["vault-1"]
        assert after["unsealKeys"] == vault.keys, "the keys survive the update"
        pulumi("preview", "--expect-no-changes", "--stack", STACK)
