"""The labels every object the platform declares carries, as plain functions.

Kept free of the Pulumi SDK so the golden path (`idpctl app ...`, which runs in application
teams' editors and pipelines) can label what it renders without importing any provider SDK.
"""

from __future__ import annotations

MANAGED_BY = "idp-platform"


def standard_labels(name: str, instance: str, version: str, part_of: str = "idp-platform") -> dict[str, str]:
    """The `app.kubernetes.io/*` labels every object the platform declares carries."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": "pulumi",
    }


def namespace_labels(pod_security: str) -> dict[str, str]:
    """Pod Security Admission labels; Talos enforces `baseline` on unlabelled namespaces."""
    return {
        "pod-security.kubernetes.io/enforce": pod_security,
        "pod-security.kubernetes.io/audit": pod_security,
        "pod-security.kubernetes.io/warn": pod_security,
        "managed-by": MANAGED_BY,
    }
