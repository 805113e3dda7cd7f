"""PlatformService: what every platform service states about itself, once.

A service is a `PlatformService` subclass. Its class attributes say where it runs and how it fits
with the others; the catalog (`catalog.py`) lists the services in order, and everything that used
to be kept by hand is derived from these attributes: the platform namespaces, which services are
bootstrap (always Helm), which need an ingress, the charts Argo CD must be allowed to fetch, the
`depends_on` of each component and the configuration rules that tie services together.

How the platform stack builds a service: `create(name, args, context, opts)`, a class method that
takes what the service needs from the rest of the platform out of the `PlatformContext` (the
services built so far, the domain, the LDAP settings, secrets). The default calls
`cls(name, args, opts=opts)`; services that need more override it. What a service contributes to
the stack's outputs comes back through `urls()` and `stack_outputs()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal, Mapping, Sequence

import pulumi

from components.ldap import LdapConfig
from components.platform.chart import (
    ChartRef,
    DeliveryArgs,
    IngressTls,
    PlatformChart,
    PlatformChartArgs,
    ServiceArgs,
    platform_namespace,
)

PodSecurity = Literal["restricted", "baseline", "privileged"]

INGRESS_NEEDS: Mapping[str, str] = {"cert_manager": "the platform-ca issuer", "traefik": "its ingress"}
"""What a service with an ingress needs first: Traefik routes it, `platform-ca` signs its certificate."""


@dataclass
class PlatformContext:
    """What a service may take from the rest of the platform when the stack builds it."""

    domain: str
    ldap: LdapConfig
    kubeconfig: pulumi.Input[str]
    secret: Callable[[str], pulumi.Output[str]]
    """A secret config value by key (`ldapBindPassword`, ...), as a Pulumi secret."""
    argocd_charts: Sequence[ChartRef] = ()
    """Charts of the services Argo CD delivers (its `platform` AppProject must allow their repositories)."""
    services: dict[str, "PlatformService"] = field(default_factory=dict)
    """The services built so far, by catalog key (only enabled ones)."""

    def get(self, key: str) -> "PlatformService | None":
        return self.services.get(key)

    @property
    def tls(self) -> IngressTls | None:
        """Domain and `platform-ca` issuer for ingresses; None without cert-manager."""
        issuer = getattr(self.services.get("cert_manager"), "issuer", None)
        return IngressTls(domain=self.domain, issuer=issuer) if issuer is not None else None

    def require_tls(self, key: str) -> IngressTls:
        tls = self.tls
        if tls is None:  # the configuration rules reject this before anything is built
            raise ValueError(f"platform.{key} needs cert-manager (the platform-ca issuer)")
        return tls


class PlatformService(pulumi.ComponentResource):
    """Base of every platform service component; subclasses set the class attributes below."""

    key: ClassVar[str]
    """Its field under `idp:platform` in snake_case (`cert_manager` is `certManager` in YAML); the
    Pulumi resource name is the same with dashes (`cert-manager`)."""
    args_type: ClassVar[type[ServiceArgs]]
    """The args model the component takes, and the type of its config field."""
    namespace: ClassVar[str | None] = None
    """The namespace it runs in (None: it runs nothing in the cluster, e.g. Vault configuration)."""
    pod_security: ClassVar[PodSecurity] = "restricted"
    """Pod Security level of that namespace."""
    release: ClassVar[str | None] = None
    """Helm release (and Argo CD Application) name of its chart; None without a chart."""
    bootstrap: ClassVar[bool] = False
    """Always Helm: Argo CD needs it before it can deliver anything."""
    ingress: ClassVar[bool] = False
    """Serves HTTPS through Traefik with a `platform-ca` certificate (needs both first)."""
    needs: ClassVar[Mapping[str, str]] = {}
    """Services (catalog keys) that must be enabled and are deployed first, with the reason."""
    provides: ClassVar[tuple[str, ...]] = ()
    """What its chart installs that the rest of the environment may refer to, one string each:
    `<group>/<Kind>` for a custom-resource kind (its CRD), e.g. `cert-manager.io/Certificate`;
    `<kind>/<name>` (lower-case kind, no dot) for a named object, e.g. `ingressclass/traefik`,
    `storageclass/longhorn`. Objects Pulumi declares itself are visible in the render and are not
    listed here."""

    @classmethod
    def requires(cls, args: ServiceArgs) -> dict[str, str]:
        """Services that must be enabled for these args, with the reason (override for conditional needs)."""
        return {**(INGRESS_NEEDS if cls.ingress else {}), **cls.needs}

    @classmethod
    def create(
        cls, name: str, args: ServiceArgs, context: PlatformContext, opts: pulumi.ResourceOptions
    ) -> "PlatformService":
        """Build the service from its args and what it takes from the rest of the platform."""
        return cls(name, args, opts=opts)

    def urls(self) -> dict[str, str]:
        """Entries of the stack's `urls` output."""
        return {}

    def stack_outputs(self) -> dict[str, Any]:
        """Stack outputs of its own (secrets already marked)."""
        return {}

    def _namespace(self, name: str) -> pulumi.Resource:
        """Its namespace, for services whose Secrets must exist before the chart starts."""
        assert self.namespace is not None
        return platform_namespace(f"{name}-namespace", self.namespace, self.pod_security, parent=self)

    def _chart(
        self,
        name: str,
        args: DeliveryArgs,
        values: dict,
        *,
        create_namespace: bool = True,
        depends_on: Sequence[pulumi.Resource] = (),
        protect: bool | None = None,
    ) -> PlatformChart:
        """Its chart, delivered the way `args.delivery` says, in its namespace."""
        assert self.namespace is not None and self.release is not None
        return PlatformChart(
            f"{name}-chart",
            PlatformChartArgs(
                chart=args.chart,
                namespace=self.namespace,
                release_name=self.release,
                values=values,
                delivery=args.delivery,
                sync_wave=args.sync_wave,
                pod_security=self.pod_security,
                create_namespace=create_namespace,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), protect=protect),
        )
