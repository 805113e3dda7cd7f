"""Layer 3, `<env>-platform` (runner 2): every platform service, from `idp:platform`.

Reads the cluster stack for the kubeconfig; every component gets the cluster's Kubernetes
provider. Each component can be disabled (`enabled: false`) and switched between Helm and
Argo CD delivery (`delivery:`). Exports what the projects layer and operators need.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.platform.metallb import MetalLb
from stacks import references
from stacks.program import read_environment


def main(env_name: str) -> None:
    env = read_environment(env_name, "platform")
    platform = env.config.platform

    async def program() -> None:
        cluster = await references.read(env.config.organization, env_name, "cluster")
        provider = k8s.Provider(
            f"{env_name}-kubernetes",
            kubeconfig=cluster.kubeconfig,
            enable_server_side_apply=True,
        )
        opts = pulumi.ResourceOptions(providers=[provider])
        urls: dict[str, str] = {}

        if platform.metallb.enabled:
            MetalLb("metallb", platform.metallb, opts=opts)

        pulumi.export("domain", env.config.global_.domain)
        pulumi.export("urls", urls)

    pulumi.run(program)
