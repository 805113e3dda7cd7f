"""Layer 2, `<env>-cluster` (runner 2, lab VLAN): etcd bootstrap, day-2 apply, kubeconfig.

Reads the vms stack through a typed reference; exports kubeconfig and talosconfig as secrets for
the platform and projects layers and for operators.
"""

from __future__ import annotations

import pulumi

from components.talos.bootstrap import TalosBootstrap, TalosBootstrapArgs
from stacks import references
from stacks.program import read_environment


def main(env_name: str) -> None:
    env = read_environment(env_name, "cluster")

    async def program() -> None:
        vms = await references.read(env.config.organization, env_name, "vms")
        cluster = TalosBootstrap(
            vms.clusterName,
            TalosBootstrapArgs(
                nodes=vms.nodes,
                endpoint=vms.endpoint,
                client_configuration=vms.clientConfiguration,
                machine_configurations=vms.machineConfigurations,
                apply_mode=env.config.cluster.apply_mode,
                kubeconfig_renewal=env.config.cluster.kubeconfig_renewal,
            ),
        )
        pulumi.export("endpoint", vms.endpoint)
        pulumi.export("kubernetesVersion", vms.kubernetesVersion)
        pulumi.export("talosVersion", vms.talosVersion)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("talosconfig", vms.talosconfig)

    pulumi.run(program)
