"""Argo Rollouts: progressive delivery for the golden path (canary through Traefik weights).

Chart 2.41.0 ships controller v1.9.0, whose default Traefik API group is the Traefik v2 one
(`traefik.containo.us`); with Traefik v3 the controller must be told `traefik.io` or canary weights
are written to a group nobody reads. The dashboard (which has no login of its own) runs read-only
behind Traefik with a `platform-ca` certificate.
"""

from __future__ import annotations

import pulumi
from pydantic import Field

from components.model import Fqdn, Resources
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import ChartRef, DeliveryArgs, IngressTls, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS

NAMESPACE = "argo-rollouts"
DASHBOARD_TLS_SECRET = "argo-rollouts-dashboard-tls"
TRAEFIK_ARGS = ("--traefik-api-group=traefik.io", "--traefik-api-version=traefik.io/v1alpha1")


class ArgoRolloutsArgs(DeliveryArgs):
    """Argo Rollouts chart, dashboard host and mode, replicas and resources."""

    chart: ChartRef = ChartRef(repo="https://argoproj.github.io/argo-helm", name="argo-rollouts", version="2.41.0")
    host: Fqdn | None = Field(None, description="dashboard host, default rollouts.<domain>")
    dashboard_readonly: bool = True
    controller_replicas: int = Field(2, ge=1)
    controller_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    dashboard_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")


def argo_rollouts_values(args: ArgoRolloutsArgs, host: str) -> dict:
    return {
        "installCRDs": True,
        "keepCRDs": True,
        "controller": {
            "replicas": args.controller_replicas,
            "resources": args.controller_resources.to_k8s(),
            "extraArgs": list(TRAEFIK_ARGS),
            "metrics": {"enabled": True},
        },
        "providerRBAC": {"enabled": True, "providers": {"traefik": True}},
        "dashboard": {
            "enabled": True,
            "readonly": args.dashboard_readonly,
            "resources": args.dashboard_resources.to_k8s(),
            "ingress": {
                "enabled": True,
                "ingressClassName": INGRESS_CLASS,
                "annotations": dict(TLS_ROUTER_ANNOTATIONS),
                "hosts": [host],
                "paths": ["/"],
                "pathType": "Prefix",
                "tls": [{"secretName": DASHBOARD_TLS_SECRET, "hosts": [host]}],
            },
        },
    }


class ArgoRollouts(PlatformService):
    """The Argo Rollouts chart and the dashboard certificate."""

    key = "argo_rollouts"
    args_type = ArgoRolloutsArgs
    namespace = NAMESPACE
    release = "argo-rollouts"
    ingress = True
    provides = (
        "argoproj.io/Rollout",
        "argoproj.io/AnalysisTemplate",
        "argoproj.io/ClusterAnalysisTemplate",
        "argoproj.io/AnalysisRun",
        "argoproj.io/Experiment",
    )

    dashboard_url: str
    """`https://<host>/`."""

    def __init__(self, name: str, args: ArgoRolloutsArgs, tls: IngressTls, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:ArgoRollouts", name, {}, opts)
        host = args.host or tls.host("rollouts")
        chart = self._chart(name, args, argo_rollouts_values(args, host))
        ingress_certificate(
            f"{name}-dashboard-certificate",
            namespace=NAMESPACE,
            secret_name=DASHBOARD_TLS_SECRET,
            hosts=[host],
            labels=standard_labels("argo-rollouts-dashboard", "argo-rollouts", args.chart.version),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, tls.issuer]),
        )
        self.dashboard_url = f"https://{host}/"
        self.register_outputs({"dashboardUrl": self.dashboard_url})

    @classmethod
    def create(cls, name: str, args: ArgoRolloutsArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "ArgoRollouts":
        return cls(name, args, context.require_tls(cls.key), opts=opts)

    def urls(self) -> dict[str, str]:
        return {"rollouts": self.dashboard_url}
