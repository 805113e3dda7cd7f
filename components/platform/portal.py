"""Portal: the developer portal (the MkDocs site `make portal` builds) served inside the platform.

A small static-site deployment: an unprivileged nginx image that carries the built `site/`, pushed
to the platform's Harbor project (`pipelines/platform/scripts/publish-portal.sh`), run as non-root with a
read-only root filesystem, behind Traefik at `https://portal.<domain>/` with a `platform-ca`
certificate. It has no chart: Pulumi declares the Namespace, Deployment, Service, Certificate and
Ingress itself. Off by default (`idp:platform.portal.enabled`), because the image must be built and
pushed before the first deployment.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from components.model import Fqdn, K8sName, Model, Resources
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import IngressTls, ServiceArgs, standard_labels
from components.platform.harbor import IMAGES_FILE, harbor_reference, mirrored_images
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS

NAMESPACE = "portal"
NAME = "portal"
PORT = 8080
TLS_SECRET = "portal-tls"
BASE_IMAGE = "docker.io/nginxinc/nginx-unprivileged"
"""The portal image's base (`pipelines/platform/portal.Containerfile`), at the exact tag Harbor
mirrors into `library` (platform/images.yaml): nginx built to run unprivileged, as user and group
101, listening on 8080, with its pid and temp files under /tmp."""
NGINX_UID = 101
"""The user and group the base image runs nginx as; the Deployment runs the same, so files the
image owns stay readable."""
WRITABLE = {"tmp": "/tmp", "cache": "/var/cache/nginx"}
"""nginx writes its pid and temp files (/tmp) and its cache here; everything else is read-only."""


def base_image(registry_host: str) -> str:
    """The base the portal image is built on: Harbor's mirror of `BASE_IMAGE` at the one exact tag
    platform/images.yaml lists (`pipelines/platform/scripts/publish-portal.sh` asks for it here)."""
    registry, _, repository = BASE_IMAGE.partition("/")
    mirrored = [i for i in mirrored_images() if (i.registry, i.repository) == (registry, repository)]
    if len(mirrored) != 1 or mirrored[0].tag == "latest":
        tags = [i.tag for i in mirrored]
        raise ValueError(f"{IMAGES_FILE.name}: the portal needs {BASE_IMAGE} listed once at an exact tag, found {tags}")
    return harbor_reference(mirrored[0], registry_host)


class PortalImage(Model):
    """The portal image in the platform Harbor: `<harbor host>/<repository>:<tag>`."""

    repository: str = Field("platform/portal", pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$")
    tag: str = Field("0.1.0", pattern=r"^[\w][\w.-]{0,127}$", description="exact tag the pipeline pushed (never latest)")

    @field_validator("tag")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if value == "latest":
            raise ValueError("must be the exact tag the pipeline pushed, not latest")
        return value


class PortalArgs(ServiceArgs):
    """The portal deployment: image in Harbor, host, replicas and resources."""

    enabled: bool = False
    image: PortalImage = PortalImage()
    host: Fqdn | None = Field(None, description="default portal.<domain>")
    replicas: int = Field(2, ge=1)
    image_pull_secret: K8sName | None = Field(
        None, description="Secret in the portal namespace to pull with, when the Harbor project is private"
    )
    resources: Resources = Resources(requests_cpu="10m", requests_memory="32Mi", limits_cpu="200m", limits_memory="64Mi")


def portal_labels(args: PortalArgs) -> dict[str, str]:
    return standard_labels(NAME, NAME, args.image.tag)


def pod_spec(args: PortalArgs, image: str) -> dict:
    """nginx as the base image's non-root user on port 8080, read-only root filesystem, probes on `/`."""
    probe = {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 10}
    spec = {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": NGINX_UID, "runAsGroup": NGINX_UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": NAME,
                "image": image,
                "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                "readinessProbe": probe,
                "livenessProbe": {**probe, "initialDelaySeconds": 5},
                "resources": args.resources.to_k8s(),
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [{"name": volume, "mountPath": path} for volume, path in WRITABLE.items()],
            }
        ],
        "volumes": [{"name": volume, "emptyDir": {"sizeLimit": "64Mi"}} for volume in WRITABLE],
    }
    if args.image_pull_secret:
        spec["imagePullSecrets"] = [{"name": args.image_pull_secret}]
    return spec


class Portal(PlatformService):
    """The developer portal: Deployment, Service, Certificate and Ingress in namespace `portal`."""

    key = "portal"
    args_type = PortalArgs
    namespace = NAMESPACE
    ingress = True
    needs = {"harbor": "its image comes from the platform Harbor"}

    url: str
    """`https://<host>/`."""

    def __init__(self, name: str, args: PortalArgs, tls: IngressTls, *, registry: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:Portal", name, {}, opts)
        host = args.host or tls.host("portal")
        labels = portal_labels(args)
        selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
        namespace = self._namespace(name)
        after_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        meta = lambda object_name: k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=NAMESPACE, labels=labels)  # noqa: E731
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=meta(NAME),
            spec={
                "replicas": args.replicas,
                "selector": {"matchLabels": selector},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec(args, f"{registry}/{args.image.repository}:{args.image.tag}")},
            },
            opts=after_namespace,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta(NAME),
            spec={"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
            opts=after_namespace,
        )
        certificate = ingress_certificate(
            f"{name}-certificate",
            namespace=NAMESPACE,
            secret_name=TLS_SECRET,
            hosts=[host],
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, tls.issuer]),
        )
        k8s.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=NAMESPACE, labels=labels, annotations=dict(TLS_ROUTER_ANNOTATIONS)),
            spec={
                "ingressClassName": INGRESS_CLASS,
                "tls": [{"hosts": [host], "secretName": TLS_SECRET}],
                "rules": [
                    {
                        "host": host,
                        "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": NAME, "port": {"name": "http"}}}}]},
                    }
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, certificate]),
        )
        self.url = f"https://{host}/"
        self.register_outputs({"url": self.url})

    @classmethod
    def create(cls, name: str, args: PortalArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Portal":
        harbor = context.get("harbor")
        registry = getattr(harbor, "host", None) or f"harbor.{context.domain}"
        return cls(name, args, context.require_tls(cls.key), registry=registry, opts=opts)

    def urls(self) -> dict[str, str]:
        return {"portal": self.url}
