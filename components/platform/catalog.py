"""The platform services, in the order the platform stack builds them, and what follows from them.

`CATALOG` is the one list of platform services. Everything that depends on "which services are
there" is derived from it and from what each `PlatformService` subclass states about itself:
the namespaces tenant projects may not take, the bootstrap set (always Helm), the services with an
ingress, the charts Argo CD must be allowed to fetch, and the `depends_on` of each component.
The configuration rules that tie services together are validators on the platform config model
(`stacks/config.py`), written over this catalog.

Adding a service: its component file (a `PlatformService` subclass), one line here, one field in
the platform config model named like its `key`. A service comes after every service it needs;
`tests/platform/test_catalog.py` checks the order, the keys and that no component is left out.
"""

from __future__ import annotations

from components.platform.argo_rollouts import ArgoRollouts
from components.platform.argocd import ArgoCd
from components.platform.cert_manager import CertManager
from components.platform.cosign import Cosign
from components.platform.external_secrets import ExternalSecrets
from components.platform.harbor import Harbor
from components.platform.kyverno import Kyverno
from components.platform.metallb import MetalLb
from components.platform.reloader import Reloader
from components.platform.renovate import Renovate
from components.platform.service import PlatformService
from components.platform.traefik import Traefik
from components.platform.trivy_operator import TrivyOperator
from components.platform.vault import Vault
from components.platform.vault_config import VaultConfig

CATALOG: tuple[type[PlatformService], ...] = (
    MetalLb,
    CertManager,
    Traefik,
    ArgoCd,
    ArgoRollouts,
    Harbor,
    Vault,
    VaultConfig,
    ExternalSecrets,
    Cosign,
    Renovate,
    Kyverno,
    TrivyOperator,
    Reloader,
)
"""Every platform service, each after the services it needs."""

BY_KEY: dict[str, type[PlatformService]] = {service.key: service for service in CATALOG}

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
"""Namespaces of Kubernetes itself."""
PLANNED_NAMESPACES = ("longhorn-system", "cnpg-system", "rabbitmq-system", "monitoring", "logging")
"""Namespaces of services still to come, kept free for them; an entry goes when its service joins the catalog."""

PLATFORM_NAMESPACES: tuple[str, ...] = tuple(
    dict.fromkeys([*SYSTEM_NAMESPACES, *(s.namespace for s in CATALOG if s.namespace), *PLANNED_NAMESPACES])
)
"""Namespaces the platform owns (tenant projects may not use them)."""
BOOTSTRAP: tuple[str, ...] = tuple(s.key for s in CATALOG if s.bootstrap)
"""Delivered by Helm always: Argo CD itself needs them (or is one of them)."""
INGRESS_SERVICES: tuple[str, ...] = tuple(s.key for s in CATALOG if s.ingress)
"""Services with an HTTPS ingress: they need Traefik and the `platform-ca` issuer."""


def yaml_key(key: str) -> str:
    """`cert_manager` -> `certManager`: how a service's key is spelled in the environment file."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def resource_name(key: str) -> str:
    """`cert_manager` -> `cert-manager`: the Pulumi resource name of a service's component."""
    return key.replace("_", "-")

