"""Typed arguments of the Talos cluster: topology, versions, install image, kubelet settings.

`TalosClusterArgs` is both what `TalosCluster` takes and what `idp:vms.cluster` in the environment
file is validated against, so every topology rule lives here: unique names and addresses, all of
them inside the node network, an odd number of control planes, sizes above Talos' minima.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, model_validator

from components.model import Duration, Hours, Ipv4Address, Ipv4Network, K8sName, Model, Semver, raise_path_errors  # noqa: F401  (Hours: importable from here too)

REQUIRED_EXTENSIONS = ("siderolabs/iscsi-tools", "siderolabs/util-linux-tools")
"""System extensions Longhorn needs on every node."""

MINIMUM = {
    "controlplane": {"cpu": 2, "memory_mib": 2048, "disk_gib": 10},
    "worker": {"cpu": 1, "memory_mib": 1024, "disk_gib": 10},
}
"""Talos' documented minimum sizes per role."""
MAXIMUM = {"cpu": 768, "memory_mib": 24 * 1024 * 1024, "disk_gib": 62 * 1024}
"""vSphere's limits for one VM (vCPUs, 24 TiB of memory, a 62 TiB disk); above them is a typo."""

LONGHORN_DISK_GIB = 100
"""Size of the Longhorn data disk of a node that runs workloads, unless it sets `longhornDiskGiB`."""


def _schematic(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError(f"{value!r} is not an Image Factory schematic ID (64 lower-case hex characters)")
    return value


NodeRole = Literal["controlplane", "worker"]
ApplyMode = Literal["auto", "no_reboot", "reboot", "staged", "staged_if_needing_reboot"]
"""How a changed machine configuration reaches a node (the Talos provider's `apply_mode`)."""


class NodeRef(BaseModel):
    """A node as the vms layer exports it and the cluster layer reads it back (name, address, role).

    Extra keys are ignored: the export may grow without breaking older readers.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str
    ip: str
    role: NodeRole


class NodeArgs(Model):
    """One Talos node: a VM with a static address."""

    name: K8sName
    role: NodeRole
    ip: Ipv4Address
    cpu: int = Field(ge=1, le=MAXIMUM["cpu"], description="vCPUs")
    memory_mib: int = Field(ge=512, le=MAXIMUM["memory_mib"], alias="memoryMiB", description="memory in MiB")
    disk_gib: int = Field(ge=1, le=MAXIMUM["disk_gib"], alias="diskGiB", description="system disk in GiB")
    longhorn_disk_gib: int = Field(
        0,
        ge=0,
        le=MAXIMUM["disk_gib"],
        alias="longhornDiskGiB",
        description="second disk for Longhorn's data in GiB (0: none); see TalosClusterArgs for the default",
    )

    @model_validator(mode="after")
    def _minimum_size(self) -> "NodeArgs":
        minimum = MINIMUM[self.role]
        problems = []
        for field, alias, unit in (("cpu", "cpu", "vCPU"), ("memory_mib", "memoryMiB", "MiB"), ("disk_gib", "diskGiB", "GiB")):
            if getattr(self, field) < minimum[field]:
                problems.append((alias, f"{getattr(self, field)} {unit} is below the {self.role} minimum of {minimum[field]} {unit}"))
        raise_path_errors(problems)
        return self


class NetworkArgs(Model):
    """The node network: one subnet, its gateway and DNS, and the control-plane VIP."""

    cidr: Ipv4Network
    gateway: Ipv4Address
    vip: Ipv4Address
    nameservers: list[Ipv4Address] = Field(min_length=1, max_length=3)
    interface: str = "eth0"


class InstallArgs(Model):
    """Installer image from the Image Factory and the disk Talos installs to."""

    schematic_id: Annotated[str, AfterValidator(_schematic)]
    extensions: list[str] = Field(default_factory=lambda: list(REQUIRED_EXTENSIONS))
    registry: str = "factory.talos.dev"
    disk: str = "/dev/sda"

    @model_validator(mode="after")
    def _longhorn_extensions(self) -> "InstallArgs":
        missing = [e for e in REQUIRED_EXTENSIONS if e not in self.extensions]
        raise_path_errors([("extensions", f"must include {e} (Longhorn needs it)") for e in missing])
        return self


class ImageGcArgs(Model):
    """Kubelet image garbage collection thresholds."""

    high_threshold_percent: int = Field(60, ge=1, le=100)
    low_threshold_percent: int = Field(40, ge=0, le=99)
    minimum_age: Duration = "2m"
    maximum_age: Duration = "24h"

    @model_validator(mode="after")
    def _ordered(self) -> "ImageGcArgs":
        if self.low_threshold_percent >= self.high_threshold_percent:
            raise_path_errors([("lowThresholdPercent", "must be below highThresholdPercent")])
        return self


class TalosClusterArgs(Model):
    """Everything `TalosCluster` needs to generate secrets and per-node machine configurations."""

    name: K8sName
    talos_version: Semver
    kubernetes_version: Semver
    network: NetworkArgs
    install: InstallArgs
    nodes: list[NodeArgs] = Field(min_length=1, max_length=250)
    allow_scheduling_on_control_planes: bool = False
    proxy_mode: Literal["iptables", "ipvs"] = "iptables"
    image_gc: ImageGcArgs = Field(default_factory=ImageGcArgs)
    etcd_backup_namespace: K8sName = "etcd-backup"
    control_plane_metrics: bool = Field(
        True, description="bind controller-manager, scheduler and etcd metrics to the node address so vmagent can scrape them"
    )
    network_policies: bool = Field(
        True,
        description=(
            "deploy kube-network-policies with Talos' Flannel (cluster.network.cni.flannel.kubeNetworkPoliciesEnabled): "
            "Flannel alone ignores NetworkPolicies, and tenant isolation (default deny, project ingress, "
            "database and broker egress) rests on them"
        ),
    )
    protect: bool = True

    @model_validator(mode="before")
    @classmethod
    def _longhorn_disks(cls, data):
        """Volumes live where workloads run: every worker, and control planes when they take workloads."""
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
            return data
        workloads_on_cp = data.get("allowSchedulingOnControlPlanes", data.get("allow_scheduling_on_control_planes", False)) is True
        nodes = []
        for node in data["nodes"]:
            if isinstance(node, dict) and "longhornDiskGiB" not in node and "longhorn_disk_gib" not in node:
                runs_workloads = node.get("role") == "worker" or workloads_on_cp
                node = {**node, "longhornDiskGiB": LONGHORN_DISK_GIB if runs_workloads else 0}
            nodes.append(node)
        return {**data, "nodes": nodes}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def endpoint(self) -> str:
        """The Kubernetes API endpoint behind the control-plane VIP."""
        return f"https://{self.network.vip}:6443"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def installer_image(self) -> str:
        version = self.talos_version if self.talos_version.startswith("v") else f"v{self.talos_version}"
        return f"{self.install.registry}/installer/{self.install.schematic_id}:{version}"

    @property
    def control_planes(self) -> list[NodeArgs]:
        return [n for n in self.nodes if n.role == "controlplane"]

    @model_validator(mode="after")
    def _topology(self) -> "TalosClusterArgs":
        errors: list[tuple[str, str]] = []
        net = self.network.cidr
        unusable = (net.network_address, net.broadcast_address)
        for key in ("gateway", "vip"):
            ip = getattr(self.network, key)
            if ip not in net:
                errors.append((f"network.{key}", f"{ip} is not inside network.cidr {net}"))
            elif ip in unusable:
                errors.append((f"network.{key}", f"{ip} is the network or broadcast address of {net}"))
        seen_names: dict[str, int] = {}
        seen_ips: dict[ipaddress.IPv4Address, int] = {}
        for i, node in enumerate(self.nodes):
            if node.name in seen_names:
                errors.append((f"nodes[{i}].name", f"{node.name} is already used by nodes[{seen_names[node.name]}]"))
            seen_names.setdefault(node.name, i)
            if node.ip in seen_ips:
                errors.append((f"nodes[{i}].ip", f"{node.ip} is already used by nodes[{seen_ips[node.ip]}]"))
            seen_ips.setdefault(node.ip, i)
            if node.ip not in net:
                errors.append((f"nodes[{i}].ip", f"{node.ip} is not inside network.cidr {net}"))
            elif node.ip in unusable:
                errors.append((f"nodes[{i}].ip", f"{node.ip} is the network or broadcast address of {net}"))
            if node.ip == self.network.vip:
                errors.append((f"nodes[{i}].ip", f"{node.ip} is the control-plane VIP (network.vip)"))
            if node.ip == self.network.gateway:
                errors.append((f"nodes[{i}].ip", f"{node.ip} is the gateway (network.gateway)"))
        if self.network.vip == self.network.gateway:
            errors.append(("network.vip", "the VIP must not be the gateway"))
        count = len(self.control_planes)
        if count == 0 or count % 2 == 0:
            errors.append(("nodes", f"needs an odd number (1, 3, 5) of controlplane nodes for etcd quorum; found {count}"))
        if count == len(self.nodes) and not self.allow_scheduling_on_control_planes:
            errors.append(
                (
                    "allowSchedulingOnControlPlanes",
                    "the cluster has no worker nodes, so no workload could be scheduled: add a worker or set it to true",
                )
            )
        raise_path_errors(errors)
        return self
