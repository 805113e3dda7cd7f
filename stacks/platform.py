"""Layer 3, `<env>-platform` (runner 2): every platform service, from `idp:platform`.

Reads the cluster stack for the kubeconfig; every component gets the cluster's Kubernetes
provider. The services are built in catalog order (`components/platform/catalog.py`): each
enabled service gets its config section, what it takes from the services built before it, and a
`depends_on` derived from the catalog -- the services it needs, and Argo CD (with its `platform`
AppProject) when Argo CD delivers it. Exports what the projects layer and operators need.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.platform.catalog import CATALOG, resource_name
from components.platform.chart import HELM_RELEASES, DeliveryArgs
from components.platform.service import PlatformContext, PlatformService
from stacks import references
from stacks.config import PlatformConfig
from stacks.program import read_environment, secret


def service_options(
    opts: pulumi.ResourceOptions, service: type[PlatformService], platform: PlatformConfig, built: dict[str, PlatformService]
) -> pulumi.ResourceOptions:
    """`opts` plus what the service waits for: the services it needs, and Argo CD when it delivers it."""
    args = platform.service_args(service)
    keys = list(service.requires(args))
    if isinstance(args, DeliveryArgs) and args.delivery == "argocd":
        keys.append("argocd")
    missing = [k for k in keys if k not in built]
    if missing:  # the configuration rules reject this before anything is registered
        raise ValueError(f"platform.{service.key} needs {', '.join(missing)}, which is not built")
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[built[k] for k in dict.fromkeys(keys)]))


def main(env_name: str) -> None:
    env = read_environment(env_name, "platform")
    platform = env.config.platform
    talos = env.config.vms.cluster

    async def program() -> None:
        HELM_RELEASES.set(env.config.cluster.helm_releases)
        cluster = await references.read(env.config.organization, env_name, "cluster")
        provider = k8s.Provider(
            f"{env_name}-kubernetes",
            kubeconfig=cluster.kubeconfig,
            enable_server_side_apply=True,
        )
        opts = pulumi.ResourceOptions(providers=[provider])
        context = PlatformContext(
            domain=env.config.global_.domain,
            ldap=env.config.global_.ldap,
            kubeconfig=cluster.kubeconfig,
            secret=lambda key: secret(env, key),
            protect=env.config.global_.protect,
            argocd_charts=platform.argocd_charts(),
            s3=env.config.global_.s3,
            cluster=env.config.vms.cluster,
            control_plane_metrics_ips=[str(n.ip) for n in talos.control_planes] if talos.control_plane_metrics else [],
        )
        urls: dict[str, str] = {}
        for service in CATALOG:
            args = platform.service_args(service)
            if not args.enabled:
                continue
            built = service.create(
                resource_name(service.key), args, context, service_options(opts, service, platform, context.services)
            )
            context.services[service.key] = built
            urls.update(built.urls())
            for output, value in built.stack_outputs().items():
                pulumi.export(output, value)

        pulumi.export("domain", env.config.global_.domain)
        pulumi.export("urls", urls)

    pulumi.run(program)
