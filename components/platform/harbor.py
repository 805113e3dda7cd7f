"""Harbor: the platform's registry, proxy cache and image mirror.

Two phases, ordered with `depends_on`:

1. The chart: Ingress on Traefik with a `platform-ca` certificate and `externalURL` equal to what
   clients use, persistence on Longhorn (kept when the release is removed), Trivy on, the admin
   password and the encryption key from Secrets generated here (never in values).
2. Once the release is up, Harbor's API through the pulumiverse-harbor provider (as `admin`):
   LDAP authentication against Active Directory, the `library` project, one proxy-cache project per
   upstream registry (docker.io, ghcr.io, quay.io, cgr.dev), a daily pull replication of each image
   in `platform/images.yaml` into `library`, and "prevent vulnerable images" on every project.

The provider talks to `https://harbor.<domain>` from the runner, which must trust the root CA
(`idpctl ca`, see docs/platform.md); `configureApi: false` skips phase 2 for the very first run of
a new environment. The projects stack reads the URL and admin credentials (secret) from this
stack's outputs.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumiverse_harbor as harbor
import yaml
from pydantic import Field

from components.ldap import BIND_PASSWORD_KEYS, LdapConfig
from components.model import Cron6, Fqdn, Model, Resources
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import ChartRef, DeliveryArgs, IngressTls, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS

NAMESPACE = "harbor"
ADMIN_USER = "admin"
ADMIN_SECRET = "harbor-admin"
ADMIN_SECRET_KEY = "HARBOR_ADMIN_PASSWORD"
ENCRYPTION_SECRET = "harbor-secret-key"
TLS_SECRET = "harbor-tls"
LIBRARY = "library"
IMAGES_FILE = Path(__file__).resolve().parents[2] / "platform" / "images.yaml"

UPSTREAMS: dict[str, tuple[str, str, str]] = {
    # registry host: (proxy-cache project, Harbor provider type, endpoint)
    "docker.io": ("dockerhub", "docker-hub", "https://hub.docker.com"),
    "ghcr.io": ("ghcr", "github", "https://ghcr.io"),
    "quay.io": ("quay", "quay", "https://quay.io"),
    "cgr.dev": ("cgr", "docker-registry", "https://cgr.dev"),
}
"""Upstream registries Harbor proxies and mirrors from."""


class PersistenceArgs(Model):
    """PVC sizes on the Longhorn storage class."""

    storage_class: str = "longhorn"
    registry_size: str = "100Gi"
    database_size: str = "5Gi"
    redis_size: str = "1Gi"
    trivy_size: str = "5Gi"
    job_log_size: str = "1Gi"


class HarborArgs(DeliveryArgs):
    """Harbor chart, host, storage, security settings and resources of every workload."""

    chart: ChartRef = ChartRef(repo="https://helm.goharbor.io", name="harbor", version="1.19.1")
    host: Fqdn | None = Field(None, description="default harbor.<domain>")
    persistence: PersistenceArgs = PersistenceArgs()
    configure_api: bool = Field(True, description="phase 2 (LDAP, projects, replication); needs the runner to trust the root CA")
    prevent_vulnerable: Literal["critical", "high", "medium", "low"] = Field(
        "critical", description="pulls of images with vulnerabilities of this severity or worse are refused"
    )
    ldap_admin_group: str = Field("HarborAdmin", description="AD group (cn under groupBaseDn) of Harbor administrators")
    replication_schedule: Cron6 = Field("0 0 3 * * *", description="6-field cron of the mirror replications")
    core_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    jobservice_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    portal_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    registry_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    registry_controller_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    trivy_resources: Resources = Resources(requests_cpu="200m", requests_memory="512Mi", limits_memory="1Gi")
    database_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    redis_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    exporter_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")


class MirroredImage(Model):
    """One line of platform/images.yaml: `<registry>/<repository>:<tag>`."""

    registry: str
    repository: str
    tag: str

    @classmethod
    def parse(cls, reference: str) -> "MirroredImage":
        registry, _, rest = reference.partition("/")
        repository, sep, tag = rest.rpartition(":")
        if not sep or not repository or not tag or "@" in reference:
            raise ValueError(f"{reference!r} is not <registry>/<repository>:<tag>")
        if registry not in UPSTREAMS:
            raise ValueError(f"{reference!r}: registry {registry} is not one of {sorted(UPSTREAMS)}")
        return cls(registry=registry, repository=repository, tag=tag)


def harbor_reference(image: MirroredImage, host: str) -> str:
    """Where the replication puts an image: `<host>/library/<last path segment>:<tag>` (dest_namespace_replace=1)."""
    return f"{host}/{LIBRARY}/{image.repository.rsplit('/', 1)[-1]}:{image.tag}"


def normalize_reference(reference: str) -> str:
    """`rabbitmq:4.2.6` -> `docker.io/library/rabbitmq:4.2.6`, as a container runtime resolves it."""
    first, _, rest = reference.partition("/")
    if not rest:
        return f"docker.io/library/{reference}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{reference}"
    return reference


def mirror_reference(reference: str, host: str, path: Path = IMAGES_FILE) -> str:
    """Where Harbor `host` serves the upstream image `reference`; ValueError when it is not mirrored."""
    wanted = normalize_reference(reference)
    for image in mirrored_images(path):
        if f"{image.registry}/{image.repository}:{image.tag}" == wanted:
            return harbor_reference(image, host)
    raise ValueError(f"{reference!r} is not in the Harbor mirror list {path.name}")


def mirrored_images(path: Path = IMAGES_FILE) -> list[MirroredImage]:
    """The mirror list, validated."""
    data = yaml.safe_load(path.read_text()) or {}
    return [MirroredImage.parse(ref) for ref in data.get("images") or []]


def replication_filters(images: list[MirroredImage]) -> dict[tuple[str, str], str]:
    """(registry, repository) -> Harbor tag filter; several tags of one repository become `{a,b}`."""
    tags: dict[tuple[str, str], list[str]] = defaultdict(list)
    for image in images:
        tags[(image.registry, image.repository)].append(image.tag)
    return {key: values[0] if len(values) == 1 else "{" + ",".join(values) + "}" for key, values in tags.items()}


def harbor_values(args: HarborArgs, host: str) -> dict:
    pvc = args.persistence
    claim = lambda size: {"storageClass": pvc.storage_class, "size": size}  # noqa: E731
    return {
        "externalURL": f"https://{host}",
        "expose": {
            "type": "ingress",
            "tls": {"enabled": True, "certSource": "secret", "secret": {"secretName": TLS_SECRET}},
            "ingress": {
                "hosts": {"core": host},
                "className": INGRESS_CLASS,
                # Helm merges these with the chart's nginx annotations, which Traefik ignores;
                # Traefik sets no request-body limit, so large layers upload as they are.
                "annotations": dict(TLS_ROUTER_ANNOTATIONS),
            },
        },
        "existingSecretAdminPassword": ADMIN_SECRET,
        "existingSecretAdminPasswordKey": ADMIN_SECRET_KEY,
        "existingSecretSecretKey": ENCRYPTION_SECRET,
        "persistence": {
            "enabled": True,
            "resourcePolicy": "keep",
            "persistentVolumeClaim": {
                "registry": claim(pvc.registry_size),
                "database": claim(pvc.database_size),
                "redis": claim(pvc.redis_size),
                "trivy": claim(pvc.trivy_size),
                "jobservice": {"jobLog": claim(pvc.job_log_size)},
            },
        },
        "trivy": {"enabled": True, "resources": args.trivy_resources.to_k8s()},
        "core": {"resources": args.core_resources.to_k8s()},
        "jobservice": {"resources": args.jobservice_resources.to_k8s()},
        "portal": {"resources": args.portal_resources.to_k8s()},
        "registry": {
            "registry": {"resources": args.registry_resources.to_k8s()},
            "controller": {"resources": args.registry_controller_resources.to_k8s()},
        },
        "database": {"type": "internal", "internal": {"resources": args.database_resources.to_k8s()}},
        "redis": {"type": "internal", "internal": {"resources": args.redis_resources.to_k8s()}},
        "exporter": {"resources": args.exporter_resources.to_k8s()},
        "metrics": {"enabled": True},
    }


class Harbor(PlatformService):
    """Harbor chart with generated credentials, then its LDAP, projects, proxy caches and mirrors."""

    key = "harbor"
    args_type = HarborArgs
    namespace = NAMESPACE
    # The internal database and redis images run as fixed non-root users but not under `restricted`.
    pod_security = "baseline"
    release = "harbor"
    ingress = True
    needs = {"longhorn": "its volumes (StorageClass longhorn)"}

    url: str
    """`https://<host>` (also `externalURL`)."""
    host: str
    """Registry host name for image references (`harbor.<domain>/library/alpine:...`)."""
    admin_username: str
    """`admin`."""
    admin_password: pulumi.Output[str]
    """The generated admin password (secret)."""
    api_configured: bool
    """Whether its API is configured in this run (`configureApi`): LDAP, projects, robot accounts work."""

    def __init__(
        self,
        name: str,
        args: HarborArgs,
        tls: IngressTls,
        *,
        ldap: LdapConfig,
        ldap_bind_password: pulumi.Input[str],
        images: list[MirroredImage] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Harbor", name, {}, opts)
        self.host = args.host or tls.host("harbor")
        self.url = f"https://{self.host}"
        self.admin_username = ADMIN_USER
        self.api_configured = args.configure_api
        labels = standard_labels("harbor", "harbor", args.chart.version)
        namespace = self._namespace(name)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        password = random.RandomPassword(
            f"{name}-admin-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        # Harbor encrypts stored registry credentials with this key: exactly 16 characters.
        encryption_key = random.RandomPassword(
            f"{name}-secret-key", length=16, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        self.admin_password = pulumi.Output.secret(password.result)
        secrets = [
            k8s.core.v1.Secret(
                f"{name}-admin-secret",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ADMIN_SECRET, namespace=NAMESPACE, labels=labels),
                type="Opaque",
                string_data={ADMIN_SECRET_KEY: self.admin_password},
                opts=in_namespace,
            ),
            k8s.core.v1.Secret(
                f"{name}-encryption-secret",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ENCRYPTION_SECRET, namespace=NAMESPACE, labels=labels),
                type="Opaque",
                string_data={"secretKey": pulumi.Output.secret(encryption_key.result)},
                opts=in_namespace,
            ),
        ]
        certificate = ingress_certificate(
            f"{name}-certificate",
            namespace=NAMESPACE,
            secret_name=TLS_SECRET,
            hosts=[self.host],
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, tls.issuer]),
        )
        chart = self._chart(
            name, args, harbor_values(args, self.host), create_namespace=False, depends_on=[namespace, *secrets, certificate]
        )
        if args.configure_api:
            self._configure(name, args, ldap, ldap_bind_password, images if images is not None else mirrored_images(), [chart.ready, certificate])
        self.register_outputs({"url": self.url, "adminUsername": self.admin_username, "adminPassword": self.admin_password})

    @classmethod
    def create(cls, name: str, args: HarborArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Harbor":
        tls, bind_password = context.require_tls(cls.key), context.secret(BIND_PASSWORD_KEYS["harbor"])
        return cls(name, args, tls, ldap=context.ldap, ldap_bind_password=bind_password, opts=opts)

    def urls(self) -> dict[str, str]:
        return {"harbor": self.url}

    def stack_outputs(self) -> dict:
        return {"harborUrl": self.url, "harborUsername": self.admin_username, "harborPassword": self.admin_password}

    def _configure(
        self,
        name: str,
        args: HarborArgs,
        ldap: LdapConfig,
        bind_password: pulumi.Input[str],
        images: list[MirroredImage],
        after: list[pulumi.Resource],
    ) -> None:
        provider = harbor.Provider(
            f"{name}-api",
            url=self.url,
            username=ADMIN_USER,
            password=self.admin_password,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        api = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=after)
        harbor.ConfigAuth(
            f"{name}-ldap",
            auth_mode="ldap_auth",
            ldap_url=ldap.url,
            ldap_search_dn=ldap.bind_dn("harbor"),
            ldap_search_password=pulumi.Output.secret(bind_password),
            ldap_base_dn=ldap.user_base_dn,
            ldap_filter=ldap.user_filter,
            ldap_uid=ldap.username_attribute,
            ldap_scope="2",
            ldap_verify_cert=not ldap.insecure_skip_verify,
            ldap_group_base_dn=ldap.group_base_dn,
            ldap_group_filter=ldap.group_filter,
            ldap_group_gid="cn",
            ldap_group_admin_dn=f"CN={args.ldap_admin_group},{ldap.group_base_dn}",
            ldap_group_membership="memberof",
            ldap_group_scope="2",
            opts=api,
        )
        harbor.InterrogationServices(f"{name}-scan-policy", vulnerability_scan_policy="Daily", opts=api)
        # Public for pulls: it holds only mirrors of public upstream images (platform/images.yaml),
        # which database and broker pods in every project namespace pull without a credential of
        # that project's (a project robot reads its own Harbor project only). Pushing and signing
        # stay with the platform's robots.
        library = harbor.Project(
            f"{name}-project-library",
            name=LIBRARY,
            public=True,
            vulnerability_scanning=True,
            deployment_security=args.prevent_vulnerable,
            opts=api,
        )
        registries: dict[str, harbor.Registry] = {}
        for host, (project, provider_name, endpoint) in UPSTREAMS.items():
            registries[host] = harbor.Registry(
                f"{name}-registry-{project}",
                name=host,
                provider_name=provider_name,
                endpoint_url=endpoint,
                description=f"upstream {host} (proxy cache {project}, mirror source)",
                opts=api,
            )
            harbor.Project(
                f"{name}-project-{project}",
                name=project,
                public=False,
                registry_id=registries[host].registry_id,
                vulnerability_scanning=True,
                deployment_security=args.prevent_vulnerable,
                opts=api,
            )
        for (host, repository), tag_filter in sorted(replication_filters(images).items()):
            slug = repository.replace("/", "-")
            harbor.Replication(
                f"{name}-mirror-{UPSTREAMS[host][0]}-{slug}",
                name=f"mirror-{UPSTREAMS[host][0]}-{slug}",
                action="pull",
                registry_id=registries[host].registry_id,
                # `library/alpine` -> `library/alpine`, `cloudnative-pg/postgresql` -> `library/postgresql`.
                dest_namespace=LIBRARY,
                dest_namespace_replace=1,
                filters=[
                    harbor.ReplicationFilterArgs(name=repository),
                    harbor.ReplicationFilterArgs(tag=tag_filter),
                ],
                schedule=args.replication_schedule,
                override=True,
                enabled=True,
                description=f"mirror {host}/{repository}:{tag_filter} (platform/images.yaml)",
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[*after, library]),
            )
