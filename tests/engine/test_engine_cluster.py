"""`ci-cluster` adopting an existing cluster (`idp:cluster.existingKubeconfigFile`) under the real engine.

This is how the real-engine tests give the platform and projects layers a real cluster stack to
reference without the Talos provider: the layer reads the kubeconfig file and exports it (secret)
with the API server it names. It needs no provider plugin, only the CLI and the language host.
"""

from __future__ import annotations

import pytest
import yaml

from pulumi_cli import init_stacks

pytestmark = pytest.mark.usefixtures("langhost_built")

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "local",
    "clusters": [{"name": "local", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "admin", "user": {"token": "t0ken-not-in-plain-text"}}],
    "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}],
}


def adopt(engine, path) -> None:
    doc = yaml.safe_load(engine.config_file.read_text())
    doc["config"]["idp:cluster"]["existingKubeconfigFile"] = str(path)
    engine.config_file.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_cluster_layer_exports_a_given_kubeconfig_as_a_secret(engine, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    adopt(engine, kubeconfig)
    init_stacks(engine, layers=("cluster",))
    engine.with_stack("cluster", "up", "--yes")
    outputs = engine.run("stack", "output", "--json", "--stack", engine.stack("cluster")).json()
    assert outputs["endpoint"] == "https://127.0.0.1:6443"
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["kubernetesVersion"] == "1.35.0"
    assert "talosconfig" not in outputs
    shown = engine.run("stack", "output", "kubeconfig", "--show-secrets", "--stack", engine.stack("cluster")).stdout
    assert yaml.safe_load(shown) == KUBECONFIG
    state = engine.run("stack", "export", "--stack", engine.stack("cluster")).stdout
    assert "t0ken-not-in-plain-text" not in state
    engine.with_stack("cluster", "preview", "--expect-no-changes")


def test_unreadable_kubeconfig_names_the_config_key(engine, tmp_path):
    adopt(engine, tmp_path / "absent")
    init_stacks(engine, layers=("cluster",))
    result = engine.with_stack("cluster", "up", "--yes", check=False)
    assert result.returncode != 0
    assert "config error: idp:cluster.existingKubeconfigFile: cannot read" in result.output, result.output[-3000:]
    assert "Traceback" not in result.output
