"""Stakater Reloader: rolling restarts when a referenced ConfigMap or Secret changes.

Workloads opt in with `reloader.stakater.com/auto: "true"` (the base chart sets it), so a secret
that External Secrets refreshes from Vault reaches the pods without a manual restart. The
`annotations` strategy patches a pod-template annotation instead of adding env vars, which Argo
CD does not report as drift; Argo Rollouts are restarted too.
"""

from __future__ import annotations

from typing import Literal

import pulumi
from pydantic import Field

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs
from components.platform.service import PlatformService

NAMESPACE = "reloader"
RELEASE = "reloader"


class ReloaderArgs(DeliveryArgs):
    """The Reloader chart."""

    chart: ChartRef = ChartRef(repo="https://stakater.github.io/stakater-charts", name="reloader", version="2.2.16")
    delivery: Literal["helm", "argocd"] = "argocd"
    reload_strategy: str = Field("annotations", pattern=r"^(default|env-vars|annotations)$")
    argo_rollouts: bool = True
    resources: Resources = Resources(requests_cpu="10m", requests_memory="64Mi", limits_memory="256Mi")


def reloader_values(args: ReloaderArgs) -> dict:
    return {
        "reloader": {
            "watchGlobally": True,
            "isArgoRollouts": args.argo_rollouts,
            "reloadStrategy": args.reload_strategy,
            "deployment": {"resources": args.resources.to_k8s()},
        }
    }


class Reloader(PlatformService):
    """The Reloader chart, watching every namespace."""

    key = "reloader"
    args_type = ReloaderArgs
    namespace = NAMESPACE
    release = RELEASE

    namespace: str
    """Namespace Reloader runs in."""

    def __init__(self, name: str, args: ReloaderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:Reloader", name, {}, opts)
        self._chart(name, args, reloader_values(args))
        self.namespace = NAMESPACE
        self.register_outputs({"namespace": self.namespace})
