"""Traefik: the cluster's ingress controller, reachable through a MetalLB LoadBalancer address.

- The Service is `LoadBalancer` (chart >= 40 puts the type under `service.spec.type`); with
  `loadBalancerIp` set, MetalLB hands out exactly that address (DNS points `*.<domain>` at it).
- The IngressClass `traefik` is the cluster default, so Ingresses without a class still get routed.
- Port 80 only redirects to 443 (permanent), for every router: nothing is served in clear text.
- Prometheus metrics on the `metrics` entry point, with a Service annotated for scraping.
- The dashboard is not exposed by the chart; an IngressRoute on `websecure` serves it at
  `https://traefik.<domain>/dashboard/` with a certificate from `platform-ca`, behind basic auth
  (user `admin`, generated password, exported as a secret).

Helm waits for the LoadBalancer address, so the stack makes Traefik depend on MetalLB.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field

from components.model import Fqdn, IpAddress, Resources
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import ChartRef, DeliveryArgs, IngressTls, PlatformChart, ServiceArgs, standard_labels
from components.platform.service import PlatformContext, PlatformService

NAMESPACE = "traefik"
INGRESS_CLASS = "traefik"
"""The default IngressClass; every platform Ingress names it explicitly."""
TLS_ROUTER_ANNOTATIONS = {
    "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
    "traefik.ingress.kubernetes.io/router.tls": "true",
}
"""Annotations that put an Ingress on the HTTPS entry point only."""
DASHBOARD_USER = "admin"


class TraefikArgs(DeliveryArgs):
    """Traefik chart, its LoadBalancer address, replicas and resources, and the dashboard host."""

    chart: ChartRef = ChartRef(repo="https://traefik.github.io/charts", name="traefik", version="41.3.0")
    load_balancer_ip: IpAddress | None = Field(None, description="fixed address from the MetalLB pool")
    replicas: int = Field(2, ge=1)
    resources: Resources = Resources(requests_cpu="100m", requests_memory="128Mi", limits_memory="512Mi")
    dashboard: bool = True
    dashboard_host: Fqdn | None = Field(None, description="default traefik.<domain>")


def traefik_values(args: TraefikArgs) -> dict:
    service: dict = {"spec": {"type": "LoadBalancer"}}
    if args.load_balancer_ip:
        service["annotations"] = {"metallb.io/loadBalancerIPs": args.load_balancer_ip}
    return {
        "deployment": {"replicas": args.replicas},
        # With two or more replicas a node drain keeps one Traefik serving.
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1} if args.replicas > 1 else {"enabled": False},
        "resources": args.resources.to_k8s(),
        "service": service,
        "ingressClass": {"enabled": True, "isDefaultClass": True, "name": INGRESS_CLASS},
        "providers": {
            "kubernetesCRD": {"enabled": True, "allowCrossNamespace": False},
            "kubernetesIngress": {"enabled": True, "publishedService": {"enabled": True}},
        },
        "ports": {
            "web": {"http": {"redirections": {"entryPoint": {"to": "websecure", "scheme": "https", "permanent": True}}}},
            "websecure": {"http": {"tls": {"enabled": True}}},
            "metrics": {"expose": {"default": False}},
        },
        "metrics": {
            "prometheus": {
                "entryPoint": "metrics",
                "addEntryPointsLabels": True,
                "addRoutersLabels": True,
                "addServicesLabels": True,
                "service": {
                    "enabled": True,
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9100", "prometheus.io/path": "/metrics"},
                },
            }
        },
        "api": {"dashboard": args.dashboard},
        # The chart's own dashboard route listens on the unexposed `traefik` entry point; ours is below.
        "ingressRoute": {"dashboard": {"enabled": False}},
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
    }


class Traefik(PlatformService):
    """The Traefik chart, plus the dashboard's certificate, basic-auth middleware and IngressRoute."""

    key = "traefik"
    args_type = TraefikArgs
    namespace = NAMESPACE
    release = "traefik"
    bootstrap = True
    # Helm waits for the LoadBalancer address, which needs MetalLB's pool.
    needs = {"metallb": "its LoadBalancer address"}
    provides = (
        f"ingressclass/{INGRESS_CLASS}",
        "traefik.io/IngressRoute",
        "traefik.io/IngressRouteTCP",
        "traefik.io/IngressRouteUDP",
        "traefik.io/Middleware",
        "traefik.io/MiddlewareTCP",
        "traefik.io/TraefikService",
        "traefik.io/TLSOption",
        "traefik.io/TLSStore",
        "traefik.io/ServersTransport",
        "traefik.io/ServersTransportTCP",
    )

    ingress_class: str
    """The IngressClass name (`traefik`, also the cluster default)."""
    dashboard_url: str | None
    """`https://<dashboard host>/dashboard/`, or None when the dashboard is off."""
    dashboard_password: pulumi.Output[str] | None
    """Basic-auth password of the dashboard user `admin` (secret)."""
    ready: pulumi.Resource
    """Depend on this before creating Traefik custom resources or Ingresses."""

    def __init__(self, name: str, args: TraefikArgs, tls: IngressTls | None, opts: pulumi.ResourceOptions | None = None):
        """`tls` may be None only without the dashboard (it is the only HTTPS route Traefik serves itself)."""
        super().__init__("idp:platform:Traefik", name, {}, opts)
        chart = self._chart(name, args, traefik_values(args))
        self.ready = chart.ready
        self.ingress_class = INGRESS_CLASS
        self.dashboard_url = None
        self.dashboard_password = None
        if args.dashboard:
            if tls is None:
                raise ValueError("the Traefik dashboard needs cert-manager (the platform-ca issuer)")
            self._dashboard(name, args, tls, chart)
        self.register_outputs({"ingressClass": self.ingress_class, "dashboardUrl": self.dashboard_url})

    @classmethod
    def requires(cls, args: ServiceArgs) -> dict[str, str]:
        # The dashboard is an HTTPS route with a platform-ca certificate.
        dashboard = isinstance(args, TraefikArgs) and args.dashboard
        return {**cls.needs, **({"cert_manager": "the platform-ca issuer of its dashboard"} if dashboard else {})}

    @classmethod
    def create(cls, name: str, args: TraefikArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Traefik":
        return cls(name, args, context.tls, opts=opts)

    def urls(self) -> dict[str, str]:
        return {"traefik": self.dashboard_url} if self.dashboard_url else {}

    def stack_outputs(self) -> dict:
        return {"traefikDashboardPassword": self.dashboard_password} if self.dashboard_password is not None else {}

    def _dashboard(self, name: str, args: TraefikArgs, tls: IngressTls, chart: PlatformChart) -> None:
        host = args.dashboard_host or tls.host("traefik")
        labels = standard_labels("traefik-dashboard", "traefik", args.chart.version)
        after_chart = pulumi.ResourceOptions(parent=self, depends_on=[chart.ready])
        certificate = ingress_certificate(
            f"{name}-dashboard-certificate",
            namespace=NAMESPACE,
            secret_name="traefik-dashboard-tls",
            hosts=[host],
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, tls.issuer]),
        )
        password = random.RandomPassword(
            f"{name}-dashboard-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        auth_secret = k8s.core.v1.Secret(
            f"{name}-dashboard-auth",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="traefik-dashboard-auth", namespace=NAMESPACE, labels=labels),
            type="Opaque",
            string_data={"users": pulumi.Output.secret(pulumi.Output.concat(DASHBOARD_USER, ":", password.bcrypt_hash))},
            opts=after_chart,
        )
        middleware = k8s.apiextensions.CustomResource(
            f"{name}-dashboard-auth-middleware",
            api_version="traefik.io/v1alpha1",
            kind="Middleware",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="dashboard-auth", namespace=NAMESPACE, labels=labels),
            spec={"basicAuth": {"secret": "traefik-dashboard-auth", "realm": "traefik"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, auth_secret]),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-dashboard-route",
            api_version="traefik.io/v1alpha1",
            kind="IngressRoute",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="traefik-dashboard", namespace=NAMESPACE, labels=labels),
            spec={
                "entryPoints": ["websecure"],
                "routes": [
                    {
                        "kind": "Rule",
                        "match": f"Host(`{host}`) && (PathPrefix(`/dashboard`) || PathPrefix(`/api`))",
                        "middlewares": [{"name": "dashboard-auth"}],
                        "services": [{"kind": "TraefikService", "name": "api@internal"}],
                    }
                ],
                "tls": {"secretName": "traefik-dashboard-tls"},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, middleware, certificate]),
        )
        self.dashboard_url = f"https://{host}/dashboard/"
        self.dashboard_password = pulumi.Output.secret(password.result)
