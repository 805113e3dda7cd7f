"""ProjectNamespace: one environment of a tenant project, namespace `<project>-<env>`.

Creates the namespace (labelled `managed-by: idp-platform`, so the Kyverno generate policy adds the
default-deny NetworkPolicies), its ResourceQuota and LimitRange, a NetworkPolicy that lets the
ingress controller in, and the secret plumbing:

- a ServiceAccount `external-secrets-vault` and a Vault Kubernetes auth role bound to exactly that
  account in exactly this namespace, with the project's read-only ESO policy;
- a namespaced ESO SecretStore that logs in with that account (so no other namespace can use it);
- ExternalSecret `<project>-env` from Vault `<project>/env`, refreshed every minute, with
  `ENVIRONMENT` set to this namespace's environment;
- ExternalSecret `<project>-harbor-pull`: the image pull secret built from the robot account
  credentials the project keeps in Vault at `<project>/harbor`.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from components.platform.chart import namespace_labels
from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.labels import (
    ENVIRONMENT_LABEL,
    ESO_SERVICE_ACCOUNT,
    PROJECT_LABEL,
    SECRET_STORE,
    env_secret_name,
    project_labels,
    pull_secret_name,
    vault_role_name,
)

ESO_API = "external-secrets.io/v1"
VAULT_AUDIENCE = "vault"
REFRESH_INTERVAL = "1m"

DOCKERCONFIG_TEMPLATE = (
    '{"auths":{"{{ .registry }}":{"username":"{{ .username }}","password":"{{ .password }}",'
    '"auth":"{{ printf "%s:%s" .username .password | b64enc }}"}}}'
)
"""ESO template (engine v2, Go template + Sprig) of `.dockerconfigjson` from the robot credentials."""


class ProjectNamespace(pulumi.ComponentResource):
    """One environment namespace of a tenant project, with quota, limits, network and secret sync."""

    namespace: str
    """The namespace name, `<project>-<env>`."""
    vault_role: str
    """Vault Kubernetes auth role of this namespace."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str,
        platform: TenantPlatform,
        eso_policy: pulumi.Input[str] | None,
    ):
        super().__init__("idp:tenant:ProjectNamespace", name, {}, opts)
        self.namespace = f"{args.name}-{environment}"
        self.vault_role = vault_role_name(self.namespace)
        labels = project_labels(args.name, "namespace")
        child = pulumi.ResourceOptions(parent=self)

        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self.namespace,
                labels={**namespace_labels("restricted"), PROJECT_LABEL: args.name, ENVIRONMENT_LABEL: environment},
            ),
            opts=child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        meta = lambda object_name: k8s.meta.v1.ObjectMetaArgs(  # noqa: E731
            name=object_name, namespace=self.namespace, labels=labels
        )
        self._create_limits(name, args, environment, meta, in_ns)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-ingress-controller",
            metadata=meta("allow-from-ingress-controller"),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                    match_labels={"kubernetes.io/metadata.name": platform.ingress_namespace}
                                )
                            )
                        ]
                    )
                ],
            ),
            opts=in_ns,
        )
        if platform.vault:  # secrets sync from the project's Vault mount
            self._create_secret_sync(name, args, environment, platform, eso_policy, meta, in_ns)
        self.register_outputs({"namespace": self.namespace, "vaultRole": self.vault_role})

    def _create_limits(self, name, args: TenantProjectArgs, environment: str, meta, opts) -> None:
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta("project-quota"),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=args.quota_for(environment).hard()),
            opts=opts,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta("project-limits"),
            spec=k8s.core.v1.LimitRangeSpecArgs(limits=args.limit_range.limits()),
            opts=opts,
        )

    def _create_secret_sync(self, name, args: TenantProjectArgs, environment, platform: TenantPlatform, eso_policy, meta, opts) -> None:
        account = k8s.core.v1.ServiceAccount(
            f"{name}-eso-account", metadata=meta(ESO_SERVICE_ACCOUNT), automount_service_account_token=False, opts=opts
        )
        # The role accepts tokens of one account in one namespace: another team's namespace (or
        # another account here) cannot log in with it, whatever SecretStore it writes.
        role = vault.kubernetes.AuthBackendRole(
            f"{name}-vault-role",
            backend=platform.vault_kubernetes_path,
            role_name=self.vault_role,
            bound_service_account_names=[ESO_SERVICE_ACCOUNT],
            bound_service_account_namespaces=[self.namespace],
            token_policies=[eso_policy],
            token_ttl=3600,
            token_max_ttl=3600,
            audience=VAULT_AUDIENCE,
            opts=pulumi.ResourceOptions(parent=self),
        )
        store = k8s.apiextensions.CustomResource(
            f"{name}-secret-store",
            api_version=ESO_API,
            kind="SecretStore",
            metadata=meta(SECRET_STORE),
            spec={
                "provider": {
                    "vault": {
                        "server": platform.vault_address,
                        "path": args.name,
                        "version": "v2",
                        "auth": {
                            "kubernetes": {
                                "mountPath": platform.vault_kubernetes_path,
                                "role": self.vault_role,
                                "serviceAccountRef": {"name": ESO_SERVICE_ACCOUNT, "audiences": [VAULT_AUDIENCE]},
                            }
                        },
                    }
                }
            },
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[account, role])),
        )
        after_store = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[store]))
        store_ref = {"name": SECRET_STORE, "kind": "SecretStore"}
        k8s.apiextensions.CustomResource(
            f"{name}-env-secret",
            api_version=ESO_API,
            kind="ExternalSecret",
            metadata=meta(env_secret_name(args.name)),
            spec={
                "refreshInterval": REFRESH_INTERVAL,
                "secretStoreRef": store_ref,
                "target": {
                    "name": env_secret_name(args.name),
                    "creationPolicy": "Owner",
                    # One Vault path serves every environment; the namespace knows which it is.
                    "template": {"engineVersion": "v2", "mergePolicy": "Merge", "data": {"ENVIRONMENT": environment}},
                },
                "dataFrom": [{"extract": {"key": "env"}}],
            },
            opts=after_store,
        )
        if not platform.harbor:
            return
        k8s.apiextensions.CustomResource(
            f"{name}-pull-secret",
            api_version=ESO_API,
            kind="ExternalSecret",
            metadata=meta(pull_secret_name(args.name)),
            spec={
                "refreshInterval": REFRESH_INTERVAL,
                "secretStoreRef": store_ref,
                "target": {
                    "name": pull_secret_name(args.name),
                    "creationPolicy": "Owner",
                    "template": {
                        "type": "kubernetes.io/dockerconfigjson",
                        "engineVersion": "v2",
                        "data": {".dockerconfigjson": DOCKERCONFIG_TEMPLATE},
                    },
                },
                "data": [
                    {"secretKey": key, "remoteRef": {"key": "harbor", "property": key}}
                    for key in ("registry", "username", "password")
                ],
            },
            opts=after_store,
        )
