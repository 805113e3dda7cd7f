"""cert-manager and the platform's certificate authority.

The chain is built inside the cluster, so no private key ever passes through Pulumi state:

1. ClusterIssuer `platform-selfsigned` (self-signed; used for nothing but the root);
2. Certificate `platform-root-ca` in the cert-manager namespace: a long-lived CA certificate whose
   key cert-manager generates and keeps in the Secret of the same name (the key never rotates, so
   workstations that trust the root keep trusting it across renewals);
3. ClusterIssuer `platform-ca` (CA issuer over that Secret): the issuer of every platform ingress
   and of the golden-path chart, which references it by this name.

The root certificate (public part only) is read back from the Secret once the Certificate is Ready
(`pulumi.com/waitFor`), exported by the platform stack as `rootCaCertificate`, and written to a file
by `idpctl ca` for workstations and pipelines (the "x509: certificate signed by unknown authority"
lesson of the seed). During a preview of a new environment the read is skipped: its id is only
known once the Certificate exists.

`ingress_certificate(...)` is how any component gets a serving certificate for its ingress.
"""

from __future__ import annotations

import base64
from typing import Literal, Sequence

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs, IngressTls, standard_labels
from components.platform.service import PlatformService

__all__ = ["CertManager", "CertManagerArgs", "IngressTls", "ingress_certificate"]

NAMESPACE = "cert-manager"
CLUSTER_ISSUER = "platform-ca"
"""The CA ClusterIssuer every ingress uses (the golden-path chart references this name)."""
SELF_SIGNED_ISSUER = "platform-selfsigned"
ROOT_CA_SECRET = "platform-root-ca"
API_VERSION = "cert-manager.io/v1"


class CertManagerArgs(DeliveryArgs):
    """cert-manager chart, the root CA's subject and lifetime, and the workloads' resources."""

    chart: ChartRef = ChartRef(repo="https://charts.jetstack.io", name="cert-manager", version="v1.21.1")
    ca_common_name: str = Field("idp platform root CA", min_length=1)
    ca_organization: str = "idp"
    ca_duration: str = Field("87600h", pattern=r"^\d+h$", description="root CA lifetime (10 years by default)")
    ca_renew_before: str = Field("720h", pattern=r"^\d+h$")
    ca_key_algorithm: Literal["ECDSA", "RSA"] = "ECDSA"
    ca_key_size: int = 384
    replicas: int = Field(1, ge=1)
    controller_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    webhook_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    cainjector_resources: Resources = Resources(requests_cpu="20m", requests_memory="128Mi", limits_memory="512Mi")
    startupapicheck_resources: Resources = Resources(requests_cpu="10m", requests_memory="32Mi", limits_memory="128Mi")


def cert_manager_values(args: CertManagerArgs) -> dict:
    """CRDs installed and kept by the chart; resources on every container it runs."""
    return {
        "crds": {"enabled": True, "keep": True},
        "replicaCount": args.replicas,
        "resources": args.controller_resources.to_k8s(),
        "webhook": {"resources": args.webhook_resources.to_k8s()},
        "cainjector": {"resources": args.cainjector_resources.to_k8s()},
        "startupapicheck": {"resources": args.startupapicheck_resources.to_k8s()},
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": False}},
    }


def ingress_certificate(
    resource_name: str,
    *,
    namespace: str,
    secret_name: str,
    hosts: Sequence[str],
    labels: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """A serving certificate from `platform-ca` for an ingress; `opts` must depend on the issuer."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=API_VERSION,
        kind="Certificate",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace, labels=labels),
        spec={
            "secretName": secret_name,
            "commonName": hosts[0],
            "dnsNames": list(hosts),
            "duration": "2160h",
            "renewBefore": "360h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["server auth", "digital signature", "key encipherment"],
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": CLUSTER_ISSUER},
        },
        opts=opts,
    )


class CertManager(PlatformService):
    """The cert-manager chart, the self-signed root CA and the `platform-ca` ClusterIssuer."""

    key = "cert_manager"
    args_type = CertManagerArgs
    namespace = NAMESPACE
    release = "cert-manager"
    bootstrap = True
    provides = (
        "cert-manager.io/Certificate",
        "cert-manager.io/CertificateRequest",
        "cert-manager.io/Issuer",
        "cert-manager.io/ClusterIssuer",
        "acme.cert-manager.io/Order",
        "acme.cert-manager.io/Challenge",
    )

    issuer: pulumi.Resource
    """The `platform-ca` ClusterIssuer: depend on it before requesting certificates."""
    issuer_name: str
    """Name of the CA ClusterIssuer (`platform-ca`)."""
    root_ca_certificate: pulumi.Output[str]
    """PEM of the root CA certificate (public; what clients must trust)."""

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:CertManager", name, {}, opts)
        chart = self._chart(name, args, cert_manager_values(args))
        labels = standard_labels("cert-manager", "cert-manager", args.chart.version)
        self_signed = k8s.apiextensions.CustomResource(
            f"{name}-selfsigned-issuer",
            api_version=API_VERSION,
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SELF_SIGNED_ISSUER, labels=labels),
            spec={"selfSigned": {}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready]),
        )
        root = k8s.apiextensions.CustomResource(
            f"{name}-root-ca",
            api_version=API_VERSION,
            kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ROOT_CA_SECRET,
                namespace=NAMESPACE,
                labels=labels,
                # Pulumi waits until cert-manager has issued the root before anything uses it.
                annotations={"pulumi.com/waitFor": "condition=Ready"},
            ),
            spec={
                "isCA": True,
                "commonName": args.ca_common_name,
                "subject": {"organizations": [args.ca_organization]},
                "secretName": ROOT_CA_SECRET,
                "duration": args.ca_duration,
                "renewBefore": args.ca_renew_before,
                # The key stays when the certificate renews, so trust distributed once stays valid.
                "privateKey": {"algorithm": args.ca_key_algorithm, "size": args.ca_key_size, "rotationPolicy": "Never"},
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": SELF_SIGNED_ISSUER},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self_signed]),
        )
        self.issuer_name = CLUSTER_ISSUER
        self.issuer = k8s.apiextensions.CustomResource(
            f"{name}-ca-issuer",
            api_version=API_VERSION,
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_ISSUER, labels=labels),
            spec={"ca": {"secretName": ROOT_CA_SECRET}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[root]),
        )
        # The id is unknown until the Certificate exists, so a preview of a new environment skips the read.
        secret = k8s.core.v1.Secret.get(
            f"{name}-root-ca-secret",
            root.id.apply(lambda _: f"{NAMESPACE}/{ROOT_CA_SECRET}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[root]),
        )
        # The certificate is public: unsecret it so it can be exported and written to files.
        self.root_ca_certificate = pulumi.Output.unsecret(secret.data.apply(_decode_ca))
        self.register_outputs({"issuerName": self.issuer_name, "rootCaCertificate": self.root_ca_certificate})

    def stack_outputs(self) -> dict:
        return {"rootCaCertificate": self.root_ca_certificate}


def _decode_ca(data: dict | None) -> str:
    """The PEM of `ca.crt` (a self-signed root is its own CA), else `tls.crt`."""
    data = data or {}
    encoded = data.get("ca.crt") or data.get("tls.crt") or ""
    return base64.b64decode(encoded).decode() if encoded else ""

