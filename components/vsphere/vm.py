"""TalosVm: one Talos node as a vSphere VM cloned from the Talos OVA template.

Talos reads its machine configuration from the VM's `guestinfo.talos.config` (base64) at first
boot, so the VM needs no network-based provisioning. Talos has no VMware guest tools unless the
vmtoolsd extension is in the schematic, so the provider must not wait for a guest IP otherwise.
"""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pulumi_vsphere as vsphere
from pydantic import ConfigDict, Field

from components.model import Model
from components.talos.args import NodeArgs


class VsphereLocation(Model):
    """Where VMs live in vCenter, by name (looked up at deploy time)."""

    datacenter: str
    cluster: str
    datastore: str
    network: str
    resource_pool: str | None = Field(None, description="defaults to the compute cluster's root pool")
    folder: str | None = None
    template: str = Field(description="VM template imported from the Talos VMware OVA")
    vmtoolsd: bool = Field(False, description="the schematic includes siderolabs/vmtoolsd-guest-agent")


class TalosVmArgs(Model):
    """One VM: the node it runs, where it lives, its tags and its (secret) machine configuration."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    node: NodeArgs
    location: VsphereLocation
    tag_ids: Any = Field(description="Output[list[str]] of vSphere tag IDs")
    lookups: Any = Field(description="VsphereLookups shared by the stack's VMs")
    machine_configuration: Any = Field(description="Output[str]: the node's Talos machine configuration (secret)")


class VsphereLookups:
    """Datacenter, cluster, datastore, network, pool and template IDs, looked up once per stack."""

    def __init__(self, location: VsphereLocation, parent: pulumi.Resource | None = None):
        opts = pulumi.InvokeOutputOptions(parent=parent)
        dc = vsphere.get_datacenter_output(name=location.datacenter, opts=opts)
        self.datacenter_id = dc.id
        cluster = vsphere.get_compute_cluster_output(name=location.cluster, datacenter_id=dc.id, opts=opts)
        self.datastore_id = vsphere.get_datastore_output(name=location.datastore, datacenter_id=dc.id, opts=opts).id
        self.network_id = vsphere.get_network_output(name=location.network, datacenter_id=dc.id, opts=opts).id
        if location.resource_pool:
            self.resource_pool_id = vsphere.get_resource_pool_output(
                name=location.resource_pool, datacenter_id=dc.id, opts=opts
            ).id
        else:
            self.resource_pool_id = cluster.resource_pool_id
        self.template = vsphere.get_virtual_machine_output(name=location.template, datacenter_id=dc.id, opts=opts)


def vm_disks(node: NodeArgs) -> list[vsphere.VirtualMachineDiskArgs]:
    """The system disk, plus the disk Talos gives to Longhorn (UserVolumeConfig `longhorn`) if any."""
    disks = [vsphere.VirtualMachineDiskArgs(label="disk0", size=node.disk_gib, thin_provisioned=True)]
    if node.longhorn_disk_gib:
        disks.append(
            vsphere.VirtualMachineDiskArgs(label="disk1", unit_number=1, size=node.longhorn_disk_gib, thin_provisioned=True)
        )
    return disks


def guestinfo(machine_configuration: pulumi.Input[str]) -> pulumi.Output[dict]:
    """extraConfig that hands Talos its configuration, base64-encoded and kept secret."""
    return pulumi.Output.secret(
        pulumi.Output.from_input(machine_configuration).apply(
            lambda text: {
                "guestinfo.talos.config": base64.b64encode(text.encode()).decode(),
                "guestinfo.talos.config.encoding": "base64",
                "disk.enableUUID": "1",
            }
        )
    )


class TalosVm(pulumi.ComponentResource):
    """A Talos node VM; its machine configuration goes in as guestinfo."""

    vm_id: pulumi.Output[str]
    """The VM's managed object ID in vCenter."""
    ip: str
    """The node's static address (from config; Talos sets it from the machine configuration)."""

    def __init__(
        self,
        name: str,
        args: TalosVmArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:vsphere:TalosVm", name, {}, opts)
        lookups = args.lookups
        node, template = args.node, lookups.template
        wait = 5 if args.location.vmtoolsd else 0
        vm = vsphere.VirtualMachine(
            f"{name}-vm",
            name=node.name,
            resource_pool_id=lookups.resource_pool_id,
            datastore_id=lookups.datastore_id,
            folder=args.location.folder,
            num_cpus=node.cpu,
            memory=node.memory_mib,
            guest_id=template.guest_id,
            firmware=template.firmware,
            scsi_type=template.scsi_type,
            enable_disk_uuid=True,
            network_interfaces=[
                vsphere.VirtualMachineNetworkInterfaceArgs(
                    network_id=lookups.network_id,
                    adapter_type=template.network_interface_types[0],
                )
            ],
            disks=vm_disks(node),
            clone=vsphere.VirtualMachineCloneArgs(template_uuid=template.id),
            extra_config=guestinfo(args.machine_configuration),
            wait_for_guest_net_timeout=wait,
            wait_for_guest_ip_timeout=wait,
            tags=args.tag_ids,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["clone"]),
        )
        self.vm_id = vm.id
        self.ip = str(node.ip)
        self.register_outputs({"vmId": self.vm_id, "ip": self.ip})
