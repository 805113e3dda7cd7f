"""The platform services of an environment as the portal lists them (name, URL, pinned version)."""

from __future__ import annotations

import importlib

from stacks.config import Environment

# (config field, title, module, URL host: (args attribute, default host prefix) or None)
_SERVICES = (
    ("metallb", "MetalLB", "metallb", None),
    ("cert_manager", "cert-manager", "cert_manager", None),
    ("traefik", "Traefik", "traefik", ("dashboard_host", "traefik")),
    ("argocd", "Argo CD", "argocd", ("host", "argocd")),
    ("argo_rollouts", "Argo Rollouts", "argo_rollouts", ("host", "rollouts")),
    ("harbor", "Harbor", "harbor", ("host", "harbor")),
    ("renovate", "Renovate", "renovate", None),
    ("vault", "Vault", "vault", ("hostname", "vault")),
    ("external_secrets", "External Secrets", "external_secrets", None),
    ("kyverno", "Kyverno", "kyverno", None),
    ("trivy_operator", "Trivy Operator", "trivy_operator", None),
    ("reloader", "Reloader", "reloader", None),
)
_URL_SUFFIX = {"traefik": "/dashboard/", "argo_rollouts": "/"}
_NAMES = {"argo_rollouts": "rollouts"}


def platform_services(env: Environment) -> list:
    from idpctl.portal import ServiceEntry

    platform, domain = env.config.platform, env.config.global_.domain
    entries = []
    for field, title, module_name, host in _SERVICES:
        args = getattr(platform, field)
        module = importlib.import_module(f"components.platform.{module_name}")
        url = None
        if host is not None and not (field == "traefik" and not args.dashboard):
            attribute, prefix = host
            url = f"https://{getattr(args, attribute, None) or f'{prefix}.{domain}'}{_URL_SUFFIX.get(field, '')}"
        chart = getattr(args, "chart", None)
        entries.append(
            ServiceEntry(
                name=_NAMES.get(field, field.replace("_", "-")),
                title=title,
                namespace=module.NAMESPACE,
                url=url,
                chart=f"{chart.repo} {chart.name}" if chart else None,
                version=chart.version if chart else None,
                delivery=getattr(args, "delivery", "helm"),
                enabled=args.enabled,
            )
        )
    return entries
