"""PlatformChart: the one way every platform service is delivered.

A chart (repo, name, pinned version), a namespace created with the Pod Security level the service
needs, typed values, and a delivery mode:
- `helm`: a `kubernetes.helm.v3.Release` applied by Pulumi, for the bootstrap set that must exist
  before Argo CD can sync anything (MetalLB, cert-manager, Traefik, Longhorn, Argo CD, Vault, ESO);
- `argocd`: an Argo CD `Application` in the `platform` AppProject, ordered by sync waves.

Both modes take the same values, so switching is one config key (`delivery`). Custom resources of a
service depend on `PlatformChart.ready`: the Release (helm waits for it), or the Application with a
`pulumi.com/waitFor` health condition, so CRDs exist before their resources and nothing sleeps.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import ConfigDict, Field, field_validator

from components.labels import MANAGED_BY, namespace_labels, standard_labels  # noqa: F401 - used by the services
from components.model import K8sName, Model

ARGOCD_NAMESPACE = "argocd"
PLATFORM_PROJECT = "platform"


class ChartRef(Model):
    """A Helm chart at an exact version: `https://` repo or `oci://` registry path."""

    repo: str = Field(pattern=r"^(https://|oci://)\S+$")
    name: str
    version: str

    @field_validator("version")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not re.fullmatch(r"v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", value):
            raise ValueError(f"{value!r} is not an exact chart version (ranges and 'latest' are not allowed)")
        return value


class ServiceArgs(Model):
    """What the config of every platform service has: it can be switched off."""

    enabled: bool = True


class DeliveryArgs(ServiceArgs):
    """The config of a service delivered as a chart: the chart, and whether Helm or Argo CD applies it."""

    chart: ChartRef
    delivery: Literal["helm", "argocd"] = "helm"
    sync_wave: int = 0


class PlatformChartArgs(Model):
    """What PlatformChart needs; built by each component from its own typed args."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chart: ChartRef
    namespace: K8sName
    release_name: K8sName
    values: dict[str, Any] = Field(default_factory=dict)
    delivery: Literal["helm", "argocd"] = "helm"
    sync_wave: int = 0
    pod_security: Literal["restricted", "baseline", "privileged"] = "restricted"
    create_namespace: bool = True
    part_of: str = "idp-platform"


def platform_namespace(
    resource_name: str, namespace: str, pod_security: str, part_of: str = "idp-platform", *, parent: pulumi.Resource
) -> k8s.core.v1.Namespace:
    """A platform namespace with its Pod Security labels.

    Components whose Secrets must exist before their chart starts (Argo CD's LDAP bind password,
    Harbor's admin password) create the namespace with this, then the Secrets, then a
    PlatformChart with `create_namespace=False` that depends on them.
    """
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace, labels={**namespace_labels(pod_security), "app.kubernetes.io/part-of": part_of}
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def argocd_source(chart: ChartRef) -> dict[str, str]:
    """Argo CD names Helm OCI charts by registry path without the `oci://` scheme."""
    if chart.repo.startswith("oci://"):
        return {"repoURL": chart.repo.removeprefix("oci://"), "chart": chart.name, "targetRevision": chart.version}
    return {"repoURL": chart.repo, "chart": chart.name, "targetRevision": chart.version}


HELM_RELEASES: ContextVar[bool] = ContextVar("helm_releases", default=True)
"""False (set by the platform stack from `idp:cluster.helmReleases`): Helm-delivered charts declare
their namespace but no Release, and say so in the engine's log."""


class PlatformChart(pulumi.ComponentResource):
    """A namespace plus a Helm release or an Argo CD Application for one platform service."""

    namespace: str
    """The namespace the service runs in."""
    ready: pulumi.Resource
    """Depend on this before creating the service's custom resources."""

    def __init__(self, name: str, args: PlatformChartArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:PlatformChart", name, {}, opts)
        self.namespace = args.namespace
        labels = standard_labels(args.chart.name, args.release_name, args.chart.version, args.part_of)
        depends: list[pulumi.Resource] = []
        if args.create_namespace:
            depends.append(
                platform_namespace(f"{name}-namespace", args.namespace, args.pod_security, args.part_of, parent=self)
            )
        child = pulumi.ResourceOptions(parent=self, depends_on=depends)
        if args.delivery == "helm" and not HELM_RELEASES.get():
            pulumi.log.info(f"Helm release {args.release_name} ({args.chart.name} {args.chart.version}) not applied: "
                            "idp:cluster.helmReleases is false", resource=self)
            self.ready = depends[0] if depends else self
        elif args.delivery == "helm":
            self.ready = self._release(name, args, child)
        else:
            self.ready = self._application(name, args, labels, child)
        self.register_outputs({"namespace": self.namespace})

    def _release(self, name: str, args: PlatformChartArgs, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
        oci = args.chart.repo.startswith("oci://")
        return k8s.helm.v3.Release(
            f"{name}-release",
            name=args.release_name,
            chart=f"{args.chart.repo}/{args.chart.name}" if oci else args.chart.name,
            version=args.chart.version,
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=args.chart.repo),
            namespace=args.namespace,
            values=args.values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=900,
            opts=opts,
        )

    def _application(self, name: str, args: PlatformChartArgs, labels: dict, opts: pulumi.ResourceOptions):
        return k8s.apiextensions.CustomResource(
            f"{name}-application",
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.release_name,
                namespace=ARGOCD_NAMESPACE,
                labels=labels,
                annotations={
                    "argocd.argoproj.io/sync-wave": str(args.sync_wave),
                    "pulumi.com/waitFor": "jsonpath={.status.health.status}=Healthy",
                },
                finalizers=["resources-finalizer.argocd.argoproj.io"],
            ),
            spec={
                "project": PLATFORM_PROJECT,
                "source": {**argocd_source(args.chart), "helm": {"releaseName": args.release_name, "valuesObject": args.values}},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": args.namespace},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "syncOptions": ["CreateNamespace=false", "ServerSideApply=true"],
                },
            },
            opts=opts,
        )


@dataclass(frozen=True)
class IngressTls:
    """What a component needs to expose a service over HTTPS: the domain and the CA issuer to wait for."""

    domain: str
    issuer: pulumi.Resource
    """The `platform-ca` ClusterIssuer (or a resource that depends on it)."""

    def host(self, service: str) -> str:
        """`<service>.<domain>`: the default host name of a platform service."""
        return f"{service}.{self.domain}"
