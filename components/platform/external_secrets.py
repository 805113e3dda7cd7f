"""External Secrets Operator and the platform's ClusterSecretStore.

The operator syncs Vault secrets into Kubernetes Secrets. There is exactly one cluster-wide store,
`vault-platform`, and it is limited with `spec.conditions[].namespaces` to the platform's own
namespaces: it authenticates with the `external-secrets` Kubernetes-auth role, which can read
`secret/platform/*` only. Tenants never use it; the projects stack gives each project namespace
its own namespaced SecretStore bound to the project's Vault mount and role. So no namespace can
reach another team's secrets through a shared store.
"""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components.model import K8sName, Resources
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.platform.vault import Vault
from components.platform.vault_config import VaultConfig

NAMESPACE = "external-secrets"
RELEASE = "external-secrets"
STORE_NAME = "vault-platform"


class ExternalSecretsArgs(DeliveryArgs):
    """The ESO chart and the platform ClusterSecretStore."""

    chart: ChartRef = ChartRef(repo="https://charts.external-secrets.io", name="external-secrets", version="2.9.0")
    replicas: int = Field(1, ge=1, le=3)
    platform_namespaces: list[K8sName] = Field(
        default_factory=lambda: ["argocd", "harbor", "monitoring", "logging", "renovate", "cert-manager", "traefik"],
        min_length=1,
        description="the only namespaces the vault-platform ClusterSecretStore serves",
    )
    refresh_interval_seconds: int = Field(300, ge=10)
    controller_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    webhook_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    cert_controller_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")


def eso_values(args: ExternalSecretsArgs) -> dict:
    return {
        "installCRDs": True,
        "replicaCount": args.replicas,
        "resources": args.controller_resources.to_k8s(),
        "webhook": {"replicaCount": args.replicas, "resources": args.webhook_resources.to_k8s()},
        "certController": {"replicaCount": 1, "resources": args.cert_controller_resources.to_k8s()},
    }


def cluster_secret_store_spec(
    args: ExternalSecretsArgs, *, vault_address: str, kv_path: str, auth_path: str, role: str
) -> dict:
    """The store: Vault KV v2 via Kubernetes auth, served to the platform namespaces only."""
    return {
        "conditions": [{"namespaces": sorted(set(args.platform_namespaces))}],
        "refreshInterval": args.refresh_interval_seconds,
        "provider": {
            "vault": {
                "server": vault_address,
                "path": kv_path,
                "version": "v2",
                "auth": {
                    "kubernetes": {
                        "mountPath": auth_path,
                        "role": role,
                        "serviceAccountRef": {"name": RELEASE, "namespace": NAMESPACE, "audiences": ["vault"]},
                    }
                },
            }
        },
    }


class ExternalSecrets(PlatformService):
    """ESO chart plus the namespace-restricted ClusterSecretStore `vault-platform`."""

    key = "external_secrets"
    args_type = ExternalSecretsArgs
    namespace = NAMESPACE
    release = RELEASE
    bootstrap = True
    needs = {"vault": "the secrets it syncs live in Vault", "vault_config": "its Kubernetes-auth role in Vault"}
    provides = (
        "external-secrets.io/ExternalSecret",
        "external-secrets.io/SecretStore",
        "external-secrets.io/ClusterSecretStore",
        "external-secrets.io/ClusterExternalSecret",
        "external-secrets.io/PushSecret",
        "external-secrets.io/ClusterPushSecret",
    )

    store_name: str
    """Name of the platform ClusterSecretStore."""

    def __init__(
        self,
        name: str,
        args: ExternalSecretsArgs,
        *,
        vault_address: str,
        kv_path: str,
        auth_path: str,
        role: str,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:ExternalSecrets", name, {}, opts)
        chart = self._chart(name, args, eso_values(args))
        self.store_name = STORE_NAME
        k8s.apiextensions.CustomResource(
            f"{name}-platform-store",
            api_version="external-secrets.io/v1",
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=STORE_NAME, labels=standard_labels("external-secrets", RELEASE, args.chart.version)
            ),
            spec=cluster_secret_store_spec(
                args, vault_address=vault_address, kv_path=kv_path, auth_path=auth_path, role=role
            ),
            # CRDs come with the chart; the Vault role must exist before the store validates.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, *after]),
        )
        self.register_outputs({"storeName": self.store_name})

    @classmethod
    def create(
        cls, name: str, args: ExternalSecretsArgs, context: PlatformContext, opts: pulumi.ResourceOptions
    ) -> "ExternalSecrets":
        vault, config = context.services["vault"], context.services["vault_config"]
        assert isinstance(vault, Vault) and isinstance(config, VaultConfig)
        return cls(
            name,
            args,
            vault_address=vault.internal_address,
            kv_path=config.kv_path,
            auth_path=config.kubernetes_path,
            role=config.eso_role,
            after=config.ready,
            opts=opts,
        )
