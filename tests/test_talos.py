"""Talos machine-configuration patches: the right documents on the right nodes, schema-valid."""

from __future__ import annotations

import pytest
import yaml

from components.talos.args import TalosClusterArgs
from components.talos.patches import KERNEL_MODULES, node_patches
from idpctl.render_cmd import talos_patches

CONTROL_PLANE_ONLY = {"scheduling-on-control-planes", "audit-policy", "control-plane-vip", "talos-api-access"}


@pytest.fixture
def cluster(lab_config) -> TalosClusterArgs:
    return TalosClusterArgs.model_validate(lab_config["idp:vms"]["cluster"])


def test_every_patch_document_is_valid_talos_config(cluster, schemas):
    checked = 0
    for node in cluster.nodes:
        for name, document in node_patches(cluster, node):
            errors = schemas.validate_talos(document)
            assert not errors, f"{node.name}/{name}: {errors}"
            checked += 1
    assert checked >= 5 * 9


def test_schema_check_catches_a_wrong_key(schemas):
    assert schemas.validate_talos({"machine": {"kubelet": {"extraArgz": {}}}})
    assert schemas.validate_talos({"apiVersion": "v1alpha1", "kind": "Layer2VIPConfig", "link": "eth0"})


def test_control_plane_patches_only_on_control_planes(cluster):
    for node in cluster.nodes:
        names = {name for name, _ in node_patches(cluster, node)}
        if node.role == "controlplane":
            assert CONTROL_PLANE_ONLY <= names
        else:
            assert not CONTROL_PLANE_ONLY & names


def test_patch_values_that_matter(cluster):
    node = cluster.control_planes[0]
    docs = dict(node_patches(cluster, node))
    gc = docs["kubelet-image-gc"]["machine"]["kubelet"]["extraConfig"]
    assert (gc["imageGCHighThresholdPercent"], gc["imageGCLowThresholdPercent"]) == (60, 40)
    assert (gc["imageMinimumGCAge"], gc["imageMaximumGCAge"]) == ("2m", "24h")
    assert [m["name"] for m in docs["kernel-modules"]["machine"]["kernel"]["modules"]] == list(KERNEL_MODULES)
    assert docs["install-image"]["machine"]["install"]["image"].endswith(f"{cluster.install.schematic_id}:{cluster.talos_version}")
    assert docs["kubelet-certificate-rotation"]["machine"]["kubelet"]["extraArgs"]["rotate-server-certificates"] == "true"
    assert docs["hostname"]["hostname"] == node.name
    assert docs["static-address"]["addresses"] == [{"address": f"{node.ip}/24"}]
    assert docs["control-plane-vip"]["name"] == str(cluster.network.vip)
    access = docs["talos-api-access"]["machine"]["features"]["kubernetesTalosAPIAccess"]
    assert access["allowedRoles"] == ["os:etcd:backup"] and access["allowedKubernetesNamespaces"] == ["etcd-backup"]
    policy = docs["audit-policy"]["cluster"]["apiServer"]["auditPolicy"]
    secret_rules = [r for r in policy["rules"] if any("secrets" in g.get("resources", []) for g in r.get("resources", []))]
    assert secret_rules and all(r["level"] in ("None", "Metadata") for r in secret_rules), "secret bodies never logged"


def test_longhorn_data_path_is_a_user_volume_on_its_own_disk(cluster):
    """Longhorn's Talos guide (1.10+): a UserVolumeConfig mounted at /var/mnt/longhorn, bind-mounted
    into the kubelet with shared propagation; only nodes with a Longhorn disk get them."""
    for node in cluster.nodes:
        docs = dict(node_patches(cluster, node))
        if not node.longhorn_disk_gib:
            assert "longhorn-volume" not in docs and "longhorn-mount" not in docs
            continue
        volume = docs["longhorn-volume"]
        assert (volume["kind"], volume["name"]) == ("UserVolumeConfig", "longhorn")
        assert volume["provisioning"]["diskSelector"]["match"] == "!system_disk"
        mount = docs["longhorn-mount"]["machine"]["kubelet"]["extraMounts"][0]
        assert mount["source"] == mount["destination"] == "/var/mnt/longhorn"
        assert {"bind", "rshared", "rw"} <= set(mount["options"])
        assert docs["longhorn-mount"]["machine"]["nodeLabels"] == {"node.longhorn.io/create-default-disk": "true"}
    assert {n.role for n in cluster.nodes if n.longhorn_disk_gib} == {"worker"}


def test_longhorn_disk_defaults_per_role_and_can_be_set(lab_config):
    nodes = lab_config["idp:vms"]["cluster"]["nodes"]
    nodes[0]["longhornDiskGiB"] = 50
    nodes[3]["longhornDiskGiB"] = 0
    cluster = TalosClusterArgs.model_validate(lab_config["idp:vms"]["cluster"])
    assert [n.longhorn_disk_gib for n in cluster.nodes] == [50, 0, 0, 0, 100]
    assert "longhorn-volume" in dict(node_patches(cluster, cluster.nodes[0]))
    assert "longhorn-volume" not in dict(node_patches(cluster, cluster.nodes[3]))


def test_ipvs_mode_turns_on_strict_arp(lab_config):
    lab_config["idp:vms"]["cluster"]["proxyMode"] = "ipvs"
    cluster = TalosClusterArgs.model_validate(lab_config["idp:vms"]["cluster"])
    docs = dict(node_patches(cluster, cluster.nodes[0]))
    assert docs["kube-proxy"]["cluster"]["proxy"]["extraArgs"] == {"ipvs-strict-arp": "true"}


def test_program_sends_the_patches_for_every_node(lab_config, render, schemas):
    result = render(lab_config, "vms")["vms"]
    per_node = talos_patches(result)
    assert sorted(per_node) == sorted(n["name"] for n in lab_config["idp:vms"]["cluster"]["nodes"])
    for node, patches in per_node.items():
        for text in patches:
            assert text.startswith("# patch: ")
            assert not schemas.validate_talos(yaml.safe_load(text)), (node, text)
    requested = {args["machineType"] for token, args in result.calls if token.endswith("getConfiguration:getConfiguration") and "machineType" in args}
    assert requested == {"controlplane", "worker"}


def test_network_policies_are_enforced_by_flannel_on_every_node(cluster, schemas):
    """Flannel alone ignores NetworkPolicies; Talos' kube-network-policies enforces them."""
    assert cluster.network_policies is True, "on by default"
    for node in cluster.nodes:
        doc = dict(node_patches(cluster, node))["network-policies"]
        assert not schemas.validate_talos(doc), node.name
        cni = doc["cluster"]["network"]["cni"]
        assert cni == {"name": "flannel", "flannel": {"kubeNetworkPoliciesEnabled": True}}
    assert schemas.validate_talos({"cluster": {"network": {"cni": {"name": "flannel", "flannel": {"kubeNetworkPolicies": True}}}}})


def test_network_policies_can_be_switched_off(lab_config):
    lab_config["idp:vms"]["cluster"]["networkPolicies"] = False
    cluster = TalosClusterArgs.model_validate(lab_config["idp:vms"]["cluster"])
    for node in cluster.nodes:
        docs = dict(node_patches(cluster, node))
        assert "network-policies" not in docs
        assert not any("network" in doc.get("cluster", {}) for doc in docs.values()), "no other patch touches the CNI"
