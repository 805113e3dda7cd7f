"""Vault initialisation and unsealing (`components/platform/vault_init.py`) against a fake Vault.

No real Vault runs here. The only way to get one on this machine would be to build it from the Go
module proxy, which is not attempted: the machine's 2 cores are shared with the toolchain build
(Pulumi, helm, kyverno) and CI has 90 minutes for everything. Instead `FakeVault` (fake_vault.py) is a small
in-process HTTP server that implements the three endpoints the provider uses -- `sys/seal-status`,
`sys/init`, `sys/unseal` -- for three Raft pods, behind the Kubernetes API server's pod-proxy path
layout (`/api/v1/namespaces/vault/pods/<pod>:8200/proxy/v1/sys/...`) with bearer-token auth. The
provider's real HTTP client (`KubeProxyVaultApi`, built from a kubeconfig) talks to it over the
loopback interface, so URL construction, auth headers, JSON bodies and HTTP errors are exercised,
not mocked. Its semantics follow Vault's API docs: init answers 400 when already initialised, a
freshly initialised Vault is sealed, unsealing needs `t` distinct valid keys, `reset` clears
progress, followers report `initialized: false` until they have joined.
"""

from __future__ import annotations

import json

import pytest
import yaml
from fake_vault import PODS, FakeVault, FakeVaultServer

from components.platform.vault_init import (
    KubeProxyVaultApi,
    SealStatus,
    VaultApiError,
    VaultInitProvider,
    plan,
    reconcile,
)

@pytest.fixture
def fake():
    with FakeVaultServer(FakeVault()) as vault:
        vault.api = KubeProxyVaultApi(vault.kubeconfig, "vault")
        yield vault


def test_first_run_initialises_once_with_5_shares_threshold_3_and_unseals_all(fake):
    outcome = reconcile(fake.api, PODS)
    assert fake.writes.count(("vault-0", "init")) == 1
    assert [w for w in fake.writes if w[1] == "init"] == [("vault-0", "init")]
    assert (fake.shares, fake.threshold) == (5, 3)
    assert outcome.initialized_now
    assert outcome.unseal_keys == fake.keys and len(outcome.unseal_keys) == 5
    assert outcome.root_token == fake.root_token
    assert outcome.unsealed == PODS and outcome.joining == []
    assert all(not p["sealed"] for p in fake.pods.values())
    # exactly threshold keys per pod, no more
    assert sum(1 for w in fake.writes if w[1] == "unseal") == 3 * 3


def test_second_run_against_an_unsealed_vault_changes_nothing(fake):
    first = reconcile(fake.api, PODS)
    writes_before = list(fake.writes)
    second = reconcile(fake.api, PODS, unseal_keys=first.unseal_keys, root_token=first.root_token)
    assert fake.writes == writes_before, "a second run must not write to Vault"
    assert second.unsealed == [] and not second.initialized_now
    assert (second.unseal_keys, second.root_token) == (first.unseal_keys, first.root_token)


def test_after_a_node_failure_only_the_restarted_pod_is_unsealed(fake):
    first = reconcile(fake.api, PODS)
    fake.restart("vault-1")
    fake.writes.clear()
    outcome = reconcile(fake.api, PODS, unseal_keys=first.unseal_keys, root_token=first.root_token)
    assert outcome.unsealed == ["vault-1"]
    assert {pod for pod, _ in fake.writes} == {"vault-1"}
    assert ("vault-1", "init") not in fake.writes
    assert not fake.pods["vault-1"]["sealed"]


def test_half_finished_unseal_is_reset_first(fake):
    first = reconcile(fake.api, PODS)
    fake.restart("vault-2")
    fake.pods["vault-2"]["submitted"] = [first.unseal_keys[4]]  # a human typed one key
    fake.writes.clear()
    reconcile(fake.api, PODS, unseal_keys=first.unseal_keys)
    assert not fake.pods["vault-2"]["sealed"]


def test_initialised_elsewhere_and_sealed_without_keys_is_an_error(fake):
    fake.api.init("vault-0", 5, 3)
    with pytest.raises(VaultApiError, match="initialised outside Pulumi"):
        reconcile(fake.api, PODS)
    assert fake.writes == [("vault-0", "init")], "no second init attempt"


def test_wrong_keys_are_reported_not_retried_forever(fake):
    reconcile(fake.api, PODS)
    fake.restart("vault-0")
    with pytest.raises(VaultApiError, match="HTTP 400"):
        reconcile(fake.api, PODS, unseal_keys=["00" * 32] * 5)


def test_unreachable_pod_is_named_and_nothing_is_written(fake):
    fake.pods["vault-2"]["down"] = True
    with pytest.raises(VaultApiError, match=r"vault-2: .*HTTP 503"):
        reconcile(fake.api, PODS)
    assert fake.writes == []


def test_follower_not_joined_yet_is_reported_as_joining():
    statuses = {
        "vault-0": SealStatus(initialized=True, sealed=False, threshold=3, shares=5),
        "vault-1": SealStatus(initialized=False, sealed=True),
        "vault-2": SealStatus(initialized=True, sealed=False, threshold=3, shares=5),
    }
    todo = plan(statuses, PODS)
    assert todo.initialize_via is None and todo.unseal == ("vault-1",)

    class Api:
        calls = []

        def seal_status(self, pod):
            s = statuses[pod]
            return {"initialized": s.initialized, "sealed": s.sealed, "t": s.threshold, "n": s.shares, "progress": 0}

        def init(self, *a):
            raise AssertionError("must not init")

        def unseal(self, pod, key=None, reset=False):
            self.calls.append(pod)
            return {"sealed": True, "progress": 1}

    outcome = reconcile(Api(), PODS, unseal_keys=["a", "b", "c", "d", "e"])
    assert outcome.joining == ["vault-1"] and outcome.unsealed == []


def test_plan_is_a_noop_when_everything_is_unsealed():
    statuses = {p: SealStatus(initialized=True, sealed=False, threshold=3, shares=5) for p in PODS}
    assert plan(statuses, PODS).is_noop
    fresh = {p: SealStatus(initialized=False, sealed=True) for p in PODS}
    assert plan(fresh, PODS).initialize_via == "vault-0"


def test_invalid_threshold_is_rejected(fake):
    with pytest.raises(ValueError, match="threshold"):
        reconcile(fake.api, PODS, secret_shares=2, secret_threshold=3)
    assert fake.writes == []


# -- the dynamic provider's create / diff / update ------------------------------------------


def _props(fake):
    return {"kubeconfig": fake.kubeconfig, "namespace": "vault", "pods": PODS, "secret_shares": 5, "secret_threshold": 3}


def test_provider_create_then_diff_reports_no_changes(fake):
    provider = VaultInitProvider()
    created = provider.create(_props(fake))
    outs = created.outs
    assert outs["unseal_keys"] == fake.keys and outs["root_token"] == fake.root_token
    assert outs["initialized_by_stack"] is True
    diff = provider.diff(created.id, outs, _props(fake))
    assert diff.changes is False
    fake.restart("vault-0")
    assert provider.diff(created.id, outs, _props(fake)).changes is True
    fake.writes.clear()
    updated = provider.update(created.id, outs, _props(fake)).outs
    assert updated["last_unsealed"] == ["vault-0"]
    assert updated["unseal_keys"] == outs["unseal_keys"] and updated["root_token"] == outs["root_token"]
    assert updated["initialized_by_stack"] is True
    assert all(pod == "vault-0" and op == "unseal" for pod, op in fake.writes)
    assert provider.diff(created.id, updated, _props(fake)).changes is False


def test_provider_refuses_to_change_shares_after_init(fake):
    provider = VaultInitProvider()
    outs = provider.create(_props(fake)).outs
    with pytest.raises(VaultApiError, match="rekey"):
        provider.diff("vault/vault-init", outs, {**_props(fake), "secret_shares": 7})


def test_client_sends_credentials(fake):
    bad = yaml.safe_load(fake.kubeconfig)
    bad["users"][0]["user"]["token"] = "wrong"
    api = KubeProxyVaultApi(yaml.safe_dump(bad), "vault")
    with pytest.raises(VaultApiError, match="HTTP 401"):
        api.seal_status("vault-0")
    assert fake.api.url("vault-1", "sys/seal-status").endswith(
        "/api/v1/namespaces/vault/pods/vault-1:8200/proxy/v1/sys/seal-status"
    )


def test_provider_survives_pulumis_serialisation_into_a_fresh_process(fake):
    """The engine runs a dynamic provider in its own process (`python -m pulumi.dynamic` in the
    project directory) from the dill pickle the program registered: unpickle it there and use it."""
    import subprocess
    import sys
    from pathlib import Path

    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(VaultInitProvider())
    script = (
        "import base64, json, sys, dill\n"
        "provider = dill.loads(base64.b64decode(sys.stdin.readline()))\n"
        "props = json.loads(sys.stdin.readline())\n"
        "out = provider.create(props).outs\n"
        "print(json.dumps({'keys': len(out['unseal_keys']), 'unsealed': out['last_unsealed']}))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", script],
        input=blob + "\n" + json.dumps(_props(fake)) + "\n",
        capture_output=True, text=True, cwd=repo, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"keys": 5, "unsealed": PODS}
    assert fake.initialized and all(not p["sealed"] for p in fake.pods.values())
