"""Vault: HA with integrated Raft storage, initialised and unsealed by the stack.

Three server pods (`vault-0..2`) form one Raft cluster through `retry_join` blocks that name each
pod behind the headless service `vault-internal`; each pod has a 10 GiB data volume and a 10 GiB
audit volume on a Longhorn StorageClass with `reclaimPolicy: Retain`, so deleting a PVC (or the
release) never deletes Vault's data. The release and the init resource are protected when
`idp:global.protect` is on. TLS terminates at the ingress (cert-manager certificate); inside the
cluster Vault listens on plain HTTP, as in the chart's defaults. The agent injector is off: secrets
reach workloads through External Secrets.

Sealed pods would never pass the chart's readiness probe, so Helm's wait (and with it this
release) would time out before anything could unseal them. The probe therefore treats "sealed" and
"uninitialised" as ready (`sealedcode=204&uninitcode=204`); traffic still only reaches the active,
unsealed node because the ingress targets the `vault-active` service. `VaultInit` then initialises
and unseals, ordered after the release with `depends_on`.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator, model_validator

from components.model import Fqdn, K8sName, Resources, raise_path_errors
from components.platform.cert_manager import CLUSTER_ISSUER
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS
from components.platform.vault_init import DEFAULT_SHARES, DEFAULT_THRESHOLD, VaultInit

NAMESPACE = "vault"
RELEASE = "vault"
AUDIT_DIR = "/vault/audit"


class VaultArgs(DeliveryArgs):
    """The Vault chart in HA Raft mode, its storage, ingress and unseal settings."""

    chart: ChartRef = ChartRef(repo="https://helm.releases.hashicorp.com", name="vault", version="0.34.1")
    replicas: int = Field(3, ge=3, le=7, description="Raft voters; odd so a majority survives one loss")
    hostname: Fqdn | None = Field(None, description="UI/API host name; default vault.<idp:global.domain>")
    ingress_class: str = INGRESS_CLASS
    cluster_issuer: K8sName = Field(CLUSTER_ISSUER, description="cert-manager ClusterIssuer for the ingress certificate")
    storage_class: K8sName = "vault-longhorn-retain"
    longhorn_replicas: int = Field(3, ge=1, le=5)
    data_size_gi: int = Field(10, ge=1)
    audit_size_gi: int = Field(10, ge=1)
    secret_shares: int = Field(DEFAULT_SHARES, ge=1, le=10)
    secret_threshold: int = Field(DEFAULT_THRESHOLD, ge=1, le=10)
    store_keys_in_secret: bool = Field(
        False, description="also write unseal keys and root token to a Kubernetes Secret (docs/adr/0003)"
    )
    protect: bool = Field(True, description="protect the release, storage class and init resource")
    resources: Resources = Resources(requests_cpu="250m", requests_memory="256Mi", limits_memory="1Gi")

    @field_validator("replicas")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"{value} Raft voters cannot keep a majority better than {value - 1}; use an odd number")
        return value

    @model_validator(mode="after")
    def _threshold(self) -> "VaultArgs":
        if self.secret_threshold > self.secret_shares:
            raise_path_errors(
                [("secretThreshold", f"{self.secret_threshold} exceeds secretShares {self.secret_shares}: Vault could never be unsealed")]
            )
        return self

    def host(self, domain: str) -> str:
        return self.hostname or f"vault.{domain}"

    @property
    def pods(self) -> list[str]:
        return [f"{RELEASE}-{i}" for i in range(self.replicas)]


def raft_config(args: VaultArgs) -> str:
    """The server HCL: TCP listener, Raft storage with one retry_join per pod, k8s registration."""
    joins = "\n".join(
        f'  retry_join {{\n    leader_api_addr = "http://{pod}.{RELEASE}-internal:8200"\n  }}' for pod in args.pods
    )
    return f"""ui = true
disable_mlock = true

listener "tcp" {{
  tls_disable     = 1
  address         = "[::]:8200"
  cluster_address = "[::]:8201"
  telemetry {{
    unauthenticated_metrics_access = true
  }}
}}

storage "raft" {{
  path = "/vault/data"
{joins}
}}

service_registration "kubernetes" {{}}

telemetry {{
  prometheus_retention_time = "30s"
  disable_hostname          = true
}}
"""


_RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def vault_values(args: VaultArgs, host: str) -> dict:
    storage = {"enabled": True, "storageClass": args.storage_class, "accessMode": "ReadWriteOnce"}
    return {
        "global": {"enabled": True, "tlsDisable": True},
        "injector": {"enabled": False},
        "csi": {"enabled": False},
        "ui": {"enabled": True, "serviceType": "ClusterIP"},
        "server": {
            "resources": args.resources.to_k8s(),
            "readinessProbe": {
                "enabled": True,
                "path": "/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204",
            },
            "dataStorage": {**storage, "size": f"{args.data_size_gi}Gi", "mountPath": "/vault/data"},
            "auditStorage": {**storage, "size": f"{args.audit_size_gi}Gi", "mountPath": AUDIT_DIR},
            "standalone": {"enabled": False},
            "ha": {
                "enabled": True,
                "replicas": args.replicas,
                "raft": {"enabled": True, "setNodeId": True, "config": raft_config(args)},
                "disruptionBudget": {"enabled": True, "maxUnavailable": 1},
            },
            "statefulSet": {
                "securityContext": {
                    "pod": {
                        "runAsNonRoot": True,
                        "runAsUser": 100,
                        "runAsGroup": 1000,
                        "fsGroup": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "container": _RESTRICTED_CONTAINER,
                }
            },
            "ingress": {
                "enabled": True,
                "ingressClassName": args.ingress_class,
                "activeService": True,
                "annotations": {"cert-manager.io/cluster-issuer": args.cluster_issuer, **TLS_ROUTER_ANNOTATIONS},
                "hosts": [{"host": host, "paths": []}],
                "tls": [{"secretName": "vault-tls", "hosts": [host]}],
            },
        },
    }


class Vault(PlatformService):
    """Vault HA Raft release, its retained storage class, and its initialisation/unsealing."""

    key = "vault"
    args_type = VaultArgs
    namespace = NAMESPACE
    release = RELEASE
    bootstrap = True
    ingress = True

    address: str
    """External API/UI URL (through the ingress, TLS)."""
    internal_address: str
    """In-cluster URL of the active node (External Secrets, pods)."""
    root_token: pulumi.Output[str]
    """Initial root token (secret)."""
    unseal_keys: pulumi.Output[list[str]]
    """Shamir unseal keys (secret)."""
    ready: pulumi.Resource
    """Depend on this for anything that talks to Vault: it exists once Vault is unsealed."""

    def __init__(
        self,
        name: str,
        args: VaultArgs,
        *,
        domain: str,
        kubeconfig: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Vault", name, {}, opts)
        host = args.host(domain)
        labels = standard_labels("vault", RELEASE, args.chart.version)
        storage_class = self._storage_class(name, args, labels)
        chart = self._chart(name, args, vault_values(args, host), depends_on=[storage_class], protect=args.protect)
        init = VaultInit(
            f"{name}-init",
            kubeconfig=kubeconfig,
            namespace=NAMESPACE,
            pods=args.pods,
            secret_shares=args.secret_shares,
            secret_threshold=args.secret_threshold,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready], protect=args.protect),
        )
        if args.store_keys_in_secret:
            self._keys_secret(name, init, labels)
        self.address = f"https://{host}"
        self.internal_address = f"http://{RELEASE}-active.{NAMESPACE}.svc:8200"
        self.root_token = pulumi.Output.secret(init.root_token)
        self.unseal_keys = pulumi.Output.secret(init.unseal_keys)
        self.ready = init
        self.register_outputs(
            {
                "address": self.address,
                "internalAddress": self.internal_address,
                "rootToken": self.root_token,
                "unsealKeys": self.unseal_keys,
            }
        )

    @classmethod
    def create(cls, name: str, args: VaultArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Vault":
        return cls(name, args, domain=context.domain, kubeconfig=context.kubeconfig, opts=opts)

    def urls(self) -> dict[str, str]:
        return {"vault": self.address}

    def _storage_class(self, name: str, args: VaultArgs, labels: dict) -> k8s.storage.v1.StorageClass:
        # Retain: a deleted PVC leaves the Longhorn volume (and Vault's data) in place.
        return k8s.storage.v1.StorageClass(
            f"{name}-storage-class",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.storage_class, labels=labels),
            provisioner="driver.longhorn.io",
            reclaim_policy="Retain",
            allow_volume_expansion=True,
            volume_binding_mode="Immediate",
            parameters={
                "numberOfReplicas": str(args.longhorn_replicas),
                "staleReplicaTimeout": "30",
                "dataLocality": "best-effort",
                "fsType": "ext4",
            },
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _keys_secret(self, name: str, init: VaultInit, labels: dict) -> k8s.core.v1.Secret:
        data = pulumi.Output.all(init.unseal_keys, init.root_token).apply(
            lambda v: {"unseal-keys.json": json.dumps(v[0]), "root-token": v[1] or ""}
        )
        return k8s.core.v1.Secret(
            f"{name}-unseal-keys",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="vault-unseal-keys", namespace=NAMESPACE, labels=labels),
            type="Opaque",
            string_data=pulumi.Output.secret(data),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[init], additional_secret_outputs=["stringData", "data"]),
        )
