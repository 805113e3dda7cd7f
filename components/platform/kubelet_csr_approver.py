"""Kubelet serving-certificate approver: makes `rotate-server-certificates` work.

The Talos patch turns on kubelet serving-certificate rotation (components/talos/patches.py), so each
kubelet asks for its serving certificate with a CertificateSigningRequest that Kubernetes never
approves on its own; until something does, `kubectl logs`/`exec` and metrics scraping of kubelets
fail. postfinance/kubelet-csr-approver (a maintained chart, pinned) approves only CSRs whose
requester is `system:node:<name>`, whose names match the cluster's node names and whose addresses
lie in the node network, and denies the rest.

Node names are not in DNS in every environment, so by default the DNS check is bypassed; the name
pattern and the address range are the check (`bypassDnsResolution: false` turns DNS on).
"""

from __future__ import annotations

import re
from typing import ClassVar

import pulumi
from pydantic import Field

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs
from components.platform.service import PlatformContext, PlatformService
from components.talos.args import TalosClusterArgs

NAMESPACE = "kubelet-csr-approver"
IMAGE = "ghcr.io/postfinance/kubelet-csr-approver:v1.2.14"


class KubeletCsrApproverArgs(DeliveryArgs):
    """Chart, replicas, resources and whether the names in a CSR must resolve in DNS."""

    chart: ChartRef = ChartRef(
        repo="https://postfinance.github.io/kubelet-csr-approver", name="kubelet-csr-approver", version="1.2.14"
    )
    replicas: int = Field(2, ge=1)
    bypass_dns_resolution: bool = True
    resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="128Mi")


def provider_regex(cluster: TalosClusterArgs) -> str:
    """Exactly the cluster's node names: a CSR for any other name is denied."""
    return "^(" + "|".join(re.escape(node.name) for node in cluster.nodes) + ")$"


def approver_values(args: KubeletCsrApproverArgs, cluster: TalosClusterArgs) -> dict:
    """Keys as in postfinance/kubelet-csr-approver `charts/kubelet-csr-approver/values.yaml` at v1.2.14."""
    return {
        "providerRegex": provider_regex(cluster),
        "providerIpPrefixes": [str(cluster.network.cidr)],
        "bypassDnsResolution": args.bypass_dns_resolution,
        "replicas": args.replicas,
        "resources": args.resources.to_k8s(),
        # The container sets RuntimeDefault seccomp; the pod level makes the namespace's `restricted` explicit.
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "metrics": {"enable": True},
    }


class KubeletCsrApprover(PlatformService):
    """The kubelet-csr-approver chart, configured from the cluster's nodes and network."""

    key = "kubelet_csr_approver"
    args_type = KubeletCsrApproverArgs
    namespace = NAMESPACE
    release = "kubelet-csr-approver"
    provides: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, args: KubeletCsrApproverArgs, cluster: TalosClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:KubeletCsrApprover", name, {}, opts)
        self._chart(name, args, approver_values(args, cluster))
        self.register_outputs({})

    @classmethod
    def create(
        cls, name: str, args: KubeletCsrApproverArgs, context: PlatformContext, opts: pulumi.ResourceOptions
    ) -> "KubeletCsrApprover":
        return cls(name, args, context.require_cluster(cls.key), opts=opts)
