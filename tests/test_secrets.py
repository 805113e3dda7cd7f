"""A canary secret never reaches render output or stack exports, in any layer."""

from __future__ import annotations

from stacks.config import SECRET_KEYS

import json
from pathlib import Path

from idpctl.render_cmd import write_render
from idpctl.runtime import run_layers

CANARY = "canary-7f3e9c1d-never-print-me"
FAKE_PROVIDER_SECRETS = ("mock-talos-client-key", "mock-cluster-secret", "mock worker configuration")


def test_secure_config_and_provider_secrets_stay_masked(lab_config, tmp_path: Path):
    # The canary enters as decrypted secret config, as the engine would pass it.
    for key in (f"idp:{k}" for k in SECRET_KEYS):
        lab_config[key] = {"secure": "ciphertext"}
    results, _ = run_layers(["vms", "cluster", "platform", "projects"], "lab", lab_config)
    out = tmp_path / "render"
    write_render(out, results)
    written = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "[secret]" in written
    for value in (CANARY, *FAKE_PROVIDER_SECRETS):
        assert value not in written, value
    exports = json.loads((out / "exports.json").read_text())
    assert exports["lab-vms"]["machineSecrets"] == "[secret]"
    assert exports["lab-cluster"]["kubeconfig"] == "[secret]"


def test_canary_from_engine_config_is_never_written(lab_config, tmp_path: Path):
    from idpctl import runtime

    config, secret_keys, _ = runtime.config_for_run(lab_config)
    for key in SECRET_KEYS:
        config[f"idp:{key}"] = CANARY
    upstream: dict = {}
    for layer in ("vms", "cluster", "platform", "projects"):
        upstream[layer] = runtime.run_layer(layer, "lab", config, secret_keys, upstream=upstream)
    out = tmp_path / "render"
    write_render(out, upstream)
    for path in out.rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text(), path
