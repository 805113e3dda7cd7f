"""Cross-component rules of the platform services (delivery, ingress, certificates, GitOps, Renovate).

Checked when the environment file is validated, so a combination that cannot come up (an ingress
without cert-manager, an Argo CD-delivered service without Argo CD, a bootstrap service delivered by
the Argo CD that depends on it) is a configuration error naming the key, not a failed `pulumi up`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from components.model import range_addresses

BOOTSTRAP = ("metallb", "cert_manager", "traefik")
"""Delivered by Helm always: Argo CD itself needs their LoadBalancer, ingress and certificates."""
INGRESS_SERVICES = ("argocd", "argo_rollouts", "harbor")
"""Services with an HTTPS ingress: they need Traefik and the `platform-ca` issuer."""
DELIVERABLE = ("metallb", "cert_manager", "traefik", "argo_rollouts", "harbor", "renovate")


def _key(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


def platform_services_errors(platform: Any, prefix: str = "platform") -> list[tuple[str, str]]:
    """(path, message) pairs for a PlatformConfig whose services do not fit together."""
    errors: list[tuple[str, str]] = []
    for field in BOOTSTRAP:
        component = getattr(platform, field)
        if component.enabled and component.delivery != "helm":
            errors.append((f"{prefix}.{_key(field)}.delivery", "must be `helm`: Argo CD itself needs this service first"))
    for field in DELIVERABLE:
        component = getattr(platform, field)
        if component.enabled and component.delivery == "argocd" and not platform.argocd.enabled:
            errors.append((f"{prefix}.{_key(field)}.delivery", "`argocd` needs platform.argocd.enabled: true"))
    needs_tls = [f for f in INGRESS_SERVICES if getattr(platform, f).enabled]
    if platform.traefik.enabled and platform.traefik.dashboard:
        needs_tls.append("traefik")
    for field in needs_tls:
        if not platform.cert_manager.enabled:
            errors.append((f"{prefix}.{_key(field)}.enabled", "needs platform.certManager.enabled: true (the platform-ca issuer)"))
        if field != "traefik" and not platform.traefik.enabled:
            errors.append((f"{prefix}.{_key(field)}.enabled", "needs platform.traefik.enabled: true (its ingress)"))
    if platform.traefik.enabled and not platform.metallb.enabled:
        errors.append((f"{prefix}.traefik.enabled", "needs platform.metallb.enabled: true (its LoadBalancer address)"))
    ip = platform.traefik.load_balancer_ip
    if platform.traefik.enabled and ip:
        address = ipaddress.ip_address(ip)
        blocks = [range_addresses(b) for b in platform.metallb.addresses]
        if not any(first <= address <= last for first, last in blocks):
            errors.append((f"{prefix}.traefik.loadBalancerIp", f"{ip} is not in platform.metallb.addresses"))
    renovate = platform.renovate
    if renovate.enabled:
        if renovate.endpoint is None:
            errors.append((f"{prefix}.renovate.endpoint", "required when Renovate is enabled (Bitbucket Server URL)"))
        eso = getattr(platform, "external_secrets", None)
        if eso is None or not eso.enabled:
            errors.append((f"{prefix}.renovate.enabled", "needs platform.externalSecrets.enabled: true (its token comes from Vault)"))
    return errors
