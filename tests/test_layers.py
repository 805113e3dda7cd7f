"""The layer programs under the Pulumi mock runtime: resource graph, protection, references."""

from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime import settings

from idpctl.runtime import config_for_run, is_secret_envelope, run_layer
from stacks.program import parse_stack_name
from tests.conftest import by_type


def test_stack_name_selects_the_layer():
    assert parse_stack_name("lab-vms") == ("lab", "vms")
    assert parse_stack_name("prod-eu-projects") == ("prod-eu", "projects")


@pytest.mark.parametrize("stack", ["lab", "lab-network", "vms", "-vms", "lab_platform"])
def test_unknown_stack_name_lists_the_valid_ones(stack):
    with pytest.raises(pulumi.RunError) as caught:
        parse_stack_name(stack)
    message = str(caught.value)
    for layer in ("<env>-vms", "<env>-cluster", "<env>-platform", "<env>-projects"):
        assert layer in message


def test_vms_layer_graph(lab_config, render):
    result = render(lab_config, "vms")["vms"]
    stack_urn = "urn:pulumi:lab-vms::idp::pulumi:pulumi:Stack::idp-lab-vms"
    vms = by_type(result, "idp:vsphere:TalosVm")
    assert sorted(v.name for v in vms) == ["lab-cp-1", "lab-cp-2", "lab-cp-3", "lab-wk-1", "lab-wk-2"]
    assert all(v.parent == stack_urn for v in vms)
    machines = by_type(result, "vsphere:index/virtualMachine:VirtualMachine")
    assert len(machines) == 5
    vm_urns = {v.urn for v in vms}
    assert all(m.parent in vm_urns for m in machines)
    secrets = by_type(result, "talos:machine/secrets:Secrets")
    assert len(secrets) == 1 and secrets[0].protect, "machine secrets must be protected"
    assert secrets[0].parent == by_type(result, "idp:talos:TalosCluster")[0].urn
    sizes = {m.inputs["name"]: (m.inputs["numCpus"], m.inputs["memory"]) for m in machines}
    assert sizes["lab-cp-1"] == (4, 8192) and sizes["lab-wk-1"] == (8, 16384)
    for machine in machines:
        assert is_secret_envelope(machine.inputs["extraConfig"]), "guestinfo carries the machine config: secret"
        extra = machine.inputs["extraConfig"]["value"]
        assert set(extra) >= {"guestinfo.talos.config", "disk.enableUUID"}
        assert machine.inputs["waitForGuestNetTimeout"] == 0, "Talos has no guest tools by default"
        assert len(machine.inputs["tags"]) == 3


def test_longhorn_disk_is_a_second_vm_disk(lab_config, render):
    """Workers get the disk Talos formats as the `longhorn` user volume; control planes (no workloads) do not."""
    result = render(lab_config, "vms")["vms"]
    disks = {m.inputs["name"]: m.inputs["disks"] for m in by_type(result, "vsphere:index/virtualMachine:VirtualMachine")}
    assert [(d["label"], d["size"]) for d in disks["lab-wk-1"]] == [("disk0", 200), ("disk1", 100)]
    assert disks["lab-wk-1"][1]["unitNumber"] == 1
    assert [d["label"] for d in disks["lab-cp-1"]] == ["disk0"]


def test_machine_configuration_per_role(lab_config, render):
    result = render(lab_config, "vms")["vms"]
    requests = [a for t, a in result.calls if t == "talos:machine/getConfiguration:getConfiguration"]
    roles = sorted(a["machineType"] for a in requests)
    assert roles == ["controlplane"] * 3 + ["worker"] * 2
    assert {a["clusterEndpoint"] for a in requests} == {"https://10.20.120.10:6443"}


def test_protection_follows_the_environment(lab_config, render):
    lab_config["idp:global"]["protect"] = False
    result = render(lab_config, "vms")["vms"]
    assert not by_type(result, "talos:machine/secrets:Secrets")[0].protect


def test_vms_exports_secrets_as_secrets(lab_config, render):
    result = render(lab_config, "vms")["vms"]
    assert set(result.secret_export_names()) == {"clientConfiguration", "machineSecrets", "machineConfigurations", "talosconfig"}
    assert [n["role"] for n in result.exports["nodes"]].count("controlplane") == 3


def test_cluster_layer_bootstraps_once_after_applying_every_node(lab_config, render):
    result = render(lab_config, "cluster")["cluster"]
    applies = by_type(result, "talos:machine/configurationApply:ConfigurationApply")
    assert sorted(a.inputs["node"] for a in applies) == sorted(n["ip"] for n in lab_config["idp:vms"]["cluster"]["nodes"])
    assert all(a.inputs["applyMode"] == "staged_if_needing_reboot" for a in applies)
    assert all(is_secret_envelope(a.inputs["machineConfigurationInput"]) for a in applies)
    (bootstrap,) = by_type(result, "talos:machine/bootstrap:Bootstrap")
    assert bootstrap.inputs["node"] == "10.20.120.11"
    assert {a.urn for a in applies} <= set(bootstrap.depends_on)
    assert set(result.secret_export_names()) == {"kubeconfig", "talosconfig"}


def _run_without_upstream(layer, lab_config, upstream=None):
    config, secret_keys, _ = config_for_run(lab_config)
    with pytest.raises(pulumi.RunError) as caught:
        run_layer(layer, "lab", config, secret_keys, upstream=upstream or {})
    return str(caught.value), settings.get_monitor()


def test_missing_upstream_stack_fails_naming_stack_and_command(lab_config):
    message, monitor = _run_without_upstream("cluster", lab_config)
    assert "organization/idp/lab-vms" in message
    assert "pulumi up --stack lab-vms --config-file Pulumi.lab.yaml" in message
    assert monitor.registrations == [r for r in monitor.registrations if r.type == "pulumi:pulumi:StackReference"]


def test_missing_upstream_output_is_named(lab_config, render):
    vms = render(lab_config, "vms")["vms"]
    del vms.exports["kubernetesVersion"]
    message, monitor = _run_without_upstream("cluster", lab_config, upstream={"vms": vms})
    assert "missing output(s) kubernetesVersion" in message
    assert not [r for r in monitor.registrations if r.type != "pulumi:pulumi:StackReference"]


def test_reference_organization_is_configurable(lab_config):
    lab_config["idp:organization"] = "platform-team"
    message, _ = _run_without_upstream("platform", lab_config)
    assert "platform-team/idp/lab-cluster" in message


def test_config_error_registers_nothing(lab_config):
    lab_config["idp:vms"]["cluster"]["nodes"][0]["ip"] = "192.0.2.1"
    config, secret_keys, _ = config_for_run(lab_config)
    for layer in ("vms", "cluster", "platform", "projects"):
        with pytest.raises(pulumi.RunError, match=r"config error: idp:vms\.cluster\.nodes\[0\]\.ip"):
            run_layer(layer, "lab", config, secret_keys)
        assert settings.get_monitor().registrations == []


def test_missing_secret_fails_under_the_engine(lab_config):
    config, secret_keys, _ = config_for_run(lab_config)
    del config["idp:ldapDexBindPassword"]
    with pytest.raises(pulumi.RunError, match=r"idp:ldapDexBindPassword: missing .*pulumi config set --secret"):
        run_layer("platform", "lab", config, secret_keys)


def test_second_environment_on_a_vcenter_reuses_categories(lab_config, render):
    lab_config["idp:vms"]["createTagCategories"] = False
    result = render(lab_config, "vms")["vms"]
    assert not by_type(result, "vsphere:index/tagCategory:TagCategory")
    (tag,) = by_type(result, "vsphere:index/tag:Tag")
    assert tag.inputs["name"] == "lab", "only the environment's own tag is created"
    looked_up = {a.get("name") for t, a in result.calls if t == "vsphere:index/getTagCategory:getTagCategory"}
    assert looked_up == {"idp-environment", "idp-project", "idp-managed-by"}
