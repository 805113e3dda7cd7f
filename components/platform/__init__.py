"""Platform services, one ComponentResource per file, delivered through `chart.PlatformChart`."""

PLATFORM_NAMESPACES = (
    "kube-system", "kube-public", "kube-node-lease",
    "metallb-system", "traefik", "cert-manager", "argocd", "argo-rollouts", "harbor",
    "vault", "external-secrets", "kyverno", "trivy-system", "reloader", "renovate",
    "longhorn-system", "cnpg-system", "rabbitmq-system", "monitoring", "logging",
)
"""Namespaces the platform owns (tenant projects may not use them)."""
