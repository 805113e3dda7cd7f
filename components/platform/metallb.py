"""MetalLB: LoadBalancer addresses on the node network, announced over layer 2.

Talos labels control planes `node.kubernetes.io/exclude-from-external-load-balancers`, and the
speaker does not announce from labelled nodes. Where services must be reachable through control
planes (a cluster without workers, or workloads scheduled on control planes), set
`ignoreExcludeLb: true`; the default keeps announcements on workers only. A cluster without workers
and without that setting is a configuration error (`announcer_errors`), not a silent outage.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components.model import IpRange, Resources
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.service import PlatformService

NAMESPACE = "metallb-system"


class MetalLbArgs(DeliveryArgs):
    """MetalLB chart, its address pool and the speaker's control-plane setting."""

    chart: ChartRef = ChartRef(repo="https://metallb.github.io/metallb", name="metallb", version="0.16.1")
    addresses: list[IpRange] = Field(min_length=1, description="pool: CIDRs or first-last ranges in the node network")
    ignore_exclude_lb: bool = False
    controller_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    speaker_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")


def announcer_errors(roles: list[str], args: MetalLbArgs, prefix: str = "platform.metallb") -> list[tuple[str, str]]:
    """A cluster without workers needs `ignoreExcludeLb`, or no node announces any address.

    `roles` are the node roles (`controlplane`/`worker`) from `idp:vms.cluster.nodes`.
    """
    if args.enabled and "worker" not in roles and not args.ignore_exclude_lb:
        return [
            (
                f"{prefix}.ignoreExcludeLb",
                "the cluster has no worker nodes and Talos labels control planes "
                "node.kubernetes.io/exclude-from-external-load-balancers, so no node would announce "
                "LoadBalancer addresses: set it to true",
            )
        ]
    return []


def metallb_values(args: MetalLbArgs) -> dict:
    """Chart values: L2 only (no FRR), resources on every container."""
    return {
        "frrk8s": {"enabled": False},
        "controller": {"resources": args.controller_resources.to_k8s()},
        "speaker": {
            "ignoreExcludeLB": args.ignore_exclude_lb,
            "resources": args.speaker_resources.to_k8s(),
            "frr": {"enabled": False},
        },
    }


class MetalLb(PlatformService):
    """The MetalLB chart plus one IPAddressPool and its L2Advertisement."""

    key = "metallb"
    args_type = MetalLbArgs
    namespace = NAMESPACE
    # The speaker needs host networking and NET_RAW.
    pod_security = "privileged"
    release = "metallb"
    bootstrap = True
    provides = ("metallb.io/IPAddressPool", "metallb.io/L2Advertisement", "metallb.io/BGPPeer", "metallb.io/BGPAdvertisement")

    pool_name: str
    """Name of the address pool (services may pin it with `metallb.io/address-pool`)."""

    def __init__(self, name: str, args: MetalLbArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:MetalLb", name, {}, opts)
        chart = self._chart(name, args, metallb_values(args))
        labels = standard_labels("metallb", "metallb", args.chart.version)
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[chart.ready])
        self.pool_name = "default"
        k8s.apiextensions.CustomResource(
            f"{name}-pool",
            api_version="metallb.io/v1beta1",
            kind="IPAddressPool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.pool_name, namespace=NAMESPACE, labels=labels),
            spec={"addresses": list(args.addresses), "autoAssign": True},
            opts=after_crds,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-l2",
            api_version="metallb.io/v1beta1",
            kind="L2Advertisement",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.pool_name, namespace=NAMESPACE, labels=labels),
            spec={"ipAddressPools": [self.pool_name]},
            opts=after_crds,
        )
        self.register_outputs({"poolName": self.pool_name})
