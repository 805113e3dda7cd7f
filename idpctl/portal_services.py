"""The platform services of an environment as the portal lists them, derived from the service catalog.

Order, namespace, chart, pinned version, delivery mode and on/off come from the catalog
(`components/platform/catalog.py`) and each service's config section. Components compute their
URLs when the platform stack runs; here the same host rule is applied to the config without running
anything: `URLS` names, per service that serves a URL, the args field that overrides its host and
the default host prefix. `tests/docs/test_portal_browser.py` compares the result with the URLs the
real program exports, and `tests/docs/test_docs_generate.py` fails when a catalog service with an
ingress has no entry here.
"""

from __future__ import annotations

from components.platform.catalog import CATALOG
from components.platform.chart import DeliveryArgs
from stacks.loading import Environment

URLS: dict[str, tuple[str, str, str, str]] = {
    # catalog key: (args field with the host, default host prefix, path, name in the stack's `urls`)
    "traefik": ("dashboard_host", "traefik", "/dashboard/", "traefik"),
    "argocd": ("host", "argocd", "", "argocd"),
    "argo_rollouts": ("host", "rollouts", "/", "rollouts"),
    "harbor": ("host", "harbor", "", "harbor"),
    "vault": ("hostname", "vault", "", "vault"),
    "portal": ("host", "portal", "/", "portal"),
    # Services that join the catalog with the storage and observability planes.
    "longhorn": ("host", "longhorn", "/", "longhorn"),
    "grafana": ("host", "grafana", "/", "grafana"),
}

TITLES: dict[str, str] = {
    "metallb": "MetalLB",
    "cert_manager": "cert-manager",
    "traefik": "Traefik",
    "argocd": "Argo CD",
    "argo_rollouts": "Argo Rollouts",
    "harbor": "Harbor",
    "vault": "Vault",
    "vault_config": "Vault configuration",
    "external_secrets": "External Secrets",
    "cosign": "cosign signing key",
    "renovate": "Renovate",
    "kyverno": "Kyverno",
    "trivy_operator": "Trivy Operator",
    "reloader": "Reloader",
    "portal": "Developer portal",
    "kubelet_csr_approver": "kubelet CSR approver",
    "etcd_backup": "etcd backup",
    "longhorn": "Longhorn",
    "cloudnative_pg": "CloudNativePG",
    "rabbitmq_operator": "RabbitMQ Cluster Operator",
    "victoria_metrics": "VictoriaMetrics",
    "victoria_logs": "VictoriaLogs",
    "logs_collector": "VictoriaLogs collector",
    "vector": "Vector (audit log)",
    "alertmanager": "Alertmanager",
    "grafana": "Grafana",
}


def _url(key: str, args, domain: str) -> str | None:
    if key not in URLS or (key == "traefik" and not getattr(args, "dashboard", True)):
        return None
    field, prefix, path, _ = URLS[key]
    return f"https://{getattr(args, field, None) or f'{prefix}.{domain}'}{path}"


def _version(args) -> str | None:
    """The pinned version of a service without a chart: a release `version` or its image tag."""
    version = getattr(args, "version", None)
    if isinstance(version, str):
        return version
    return getattr(getattr(args, "image", None), "tag", None)


def platform_services(env: Environment) -> list:
    from idpctl.portal import ServiceEntry

    platform, domain = env.config.platform, env.config.global_.domain
    entries = []
    for service in CATALOG:
        args = platform.service_args(service)
        chart = args.chart if isinstance(args, DeliveryArgs) else None
        entries.append(
            ServiceEntry(
                name=URLS[service.key][3] if service.key in URLS else service.key.replace("_", "-"),
                title=TITLES.get(service.key, service.key.replace("_", " ")),
                namespace=service.namespace or "—",
                url=_url(service.key, args, domain),
                chart=f"{chart.repo} {chart.name}" if chart else None,
                version=chart.version if chart else _version(args),
                delivery=args.delivery if isinstance(args, DeliveryArgs) else "pulumi",
                enabled=args.enabled,
            )
        )
    return entries
