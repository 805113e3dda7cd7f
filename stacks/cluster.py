"""Layer 2, `<env>-cluster` (runner 2, lab VLAN): etcd bootstrap, day-2 apply, kubeconfig.

Reads the vms stack through a typed reference; exports kubeconfig and talosconfig as secrets for
the platform and projects layers and for operators. Once the platform stack exists, its root CA
is applied to every node as day-2 configuration: a `RegistryTLSConfig` for Harbor (image pulls by
the kubelet trust the platform CA) and a `TrustedRootsConfig`. On a new environment the first run
has no CA yet; run this layer again after the platform layer (the platform pipeline does).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pulumi
import yaml

from components.talos.bootstrap import TalosBootstrap, TalosBootstrapArgs
from components.talos.patches import platform_ca_documents
from stacks import references
from stacks.program import read_environment


def main(env_name: str) -> None:
    env = read_environment(env_name, "cluster")

    async def program() -> None:
        vms = await references.read(env.config.organization, env_name, "vms")
        platform = await references.read_optional(env.config.organization, env_name, "platform", ("rootCaCertificate", "harborUrl"))
        patches = None
        if platform.get("rootCaCertificate") and platform.get("harborUrl"):
            host = urlparse(platform["harborUrl"]).netloc
            patches = [yaml.safe_dump(doc, sort_keys=False) for doc in platform_ca_documents(host, platform["rootCaCertificate"])]
        else:
            pulumi.log.info("no platform root CA yet: nodes will trust it after the platform layer, on the next run of this layer")
        cluster = TalosBootstrap(
            vms.clusterName,
            TalosBootstrapArgs(
                nodes=vms.nodes,
                endpoint=vms.endpoint,
                client_configuration=vms.clientConfiguration,
                machine_configurations=vms.machineConfigurations,
                apply_mode=env.config.cluster.apply_mode,
                kubeconfig_renewal=env.config.cluster.kubeconfig_renewal,
                config_patches=patches,
            ),
        )
        pulumi.export("endpoint", vms.endpoint)
        pulumi.export("kubernetesVersion", vms.kubernetesVersion)
        pulumi.export("talosVersion", vms.talosVersion)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("talosconfig", vms.talosconfig)

    pulumi.run(program)
