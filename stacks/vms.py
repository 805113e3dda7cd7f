"""Layer 1, `<env>-vms` (runner 1, vCenter VLAN): Talos secrets and configurations, and the VMs.

Exports what the cluster layer on runner 2 needs: the nodes, the API endpoint, and (as secrets)
the Talos client configuration, machine secrets and per-node machine configurations.
"""

from __future__ import annotations

import pulumi

from components.talos.cluster import TalosCluster
from components.vsphere.tags import EnvironmentTags, EnvironmentTagsArgs
from components.vsphere.vm import TalosVm, TalosVmArgs, VsphereLookups
from stacks.program import read_environment


def main(env_name: str) -> None:
    env = read_environment(env_name, "vms")
    vms = env.config.vms
    cluster_args = vms.cluster.model_copy(update={"protect": vms.cluster.protect and env.config.global_.protect})

    talos_cluster = TalosCluster(cluster_args.name, cluster_args)
    tags = EnvironmentTags(
        f"{env_name}-tags",
        EnvironmentTagsArgs(environment=env_name, create_categories=vms.create_tag_categories),
    )
    lookups = VsphereLookups(vms.vsphere)
    for node in cluster_args.nodes:
        TalosVm(
            node.name,
            TalosVmArgs(
                node=node,
                location=vms.vsphere,
                lookups=lookups,
                tag_ids=tags.tag_ids,
                machine_configuration=talos_cluster.machine_configurations[node.name],
            ),
        )

    pulumi.export("clusterName", cluster_args.name)
    pulumi.export("endpoint", talos_cluster.endpoint)
    pulumi.export("nodes", [{"name": n.name, "ip": str(n.ip), "role": n.role} for n in cluster_args.nodes])
    pulumi.export("talosVersion", cluster_args.talos_version)
    pulumi.export("kubernetesVersion", cluster_args.kubernetes_version)
    pulumi.export("clientConfiguration", talos_cluster.client_configuration)
    pulumi.export("machineSecrets", talos_cluster.machine_secrets)
    pulumi.export("machineConfigurations", pulumi.Output.secret(talos_cluster.machine_configurations))
    pulumi.export("talosconfig", talos_cluster.talosconfig)
