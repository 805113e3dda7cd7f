"""Vault's configuration with pulumi-vault: secrets engine, auth methods, policies, audit.

- KV version 2 at `secret/` (platform secrets live under `secret/platform/...`; every tenant
  project gets its own `<project>/` mount from the projects stack);
- LDAP auth against Active Directory; the AD group `VaultAdmin` gets the `admin` policy;
- Kubernetes auth (token TTL 1 h) for External Secrets and pods, with the role `external-secrets`
  that the platform ClusterSecretStore uses (read-only on `secret/platform/*`);
- a file audit device writing to the audit volume (`/vault/audit/audit.log`);
- a scoped, renewable token for the projects stack (policy `projects-provisioner`: mounts,
  policies, Kubernetes roles and LDAP groups for tenant projects -- not `secret/` and not `sys/`
  beyond that), exported as a secret together with the address. Roles and group mappings it
  writes may only carry `project-*` policies. It can still write the *content* of `project-*`
  policies, which open-source Vault cannot constrain (Sentinel is Enterprise), so it is a
  platform credential: only the projects pipeline holds it.

The provider authenticates with the root token from `VaultInit` and talks to the external address
through the ingress; everything here depends on Vault being unsealed.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pulumi
import pulumi_vault as vault
from pydantic import Field

from components.ldap import LdapConfig
from components.model import K8sName, Model
from components.platform.cert_manager import CertManager
from components.platform.chart import ServiceArgs
from components.platform.service import PlatformContext, PlatformService
from components.platform.vault import AUDIT_DIR, Vault

ADMIN_POLICY = """# Full administration, for the AD group VaultAdmin.
path "*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}
"""

PROJECTS_POLICY = """# What the projects stack needs to set up a tenant project, and nothing more.
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/+" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/mounts/+/tune" {
  capabilities = ["read", "update"]
}
path "sys/policies/acl/project-*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
# Roles and group mappings may only hand out project policies, never admin.
path "auth/kubernetes/role/project-*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
    "token_policies" = ["project-*"]
    "*"              = []
  }
}
path "auth/ldap/groups/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
    "policies" = ["project-*"]
  }
}
path "auth/ldap/groups/VaultAdmin" {
  capabilities = ["deny"]
}
path "auth/ldap/groups/vaultadmin" {
  capabilities = ["deny"]
}
path "auth/token/create" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
# Project KV mounts are named after the project; writing defaults into them.
path "+/data/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "+/metadata/*" {
  capabilities = ["read", "list", "delete"]
}
# Never the platform's own secrets.
path "secret/*" {
  capabilities = ["deny"]
}
"""


def ca_file(pem: str | None) -> str | None:
    """Path of a file holding `pem`, for the provider's `ca_cert_file` (the provider reads files only).

    Named after the content's hash in the temp directory, so every run writes the same file and
    parallel stacks with different CAs never collide. The root CA is public; nothing secret lands here.
    """
    if not pem:
        return None
    path = Path(tempfile.gettempdir()) / f"idp-platform-ca-{hashlib.sha256(pem.encode()).hexdigest()[:16]}.pem"
    if not path.exists() or path.read_text() != pem:
        path.write_text(pem)
    return str(path)


def eso_policy(kv_path: str) -> str:
    return f"""# External Secrets (ClusterSecretStore for platform namespaces): read platform secrets.
path "{kv_path}/data/platform/*" {{
  capabilities = ["read"]
}}
path "{kv_path}/metadata/platform/*" {{
  capabilities = ["read", "list"]
}}
"""


def _depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    deps = opts.depends_on if opts else None
    if deps is None:
        return []
    return list(deps) if isinstance(deps, (list, tuple)) else [deps]


class VaultConfigArgs(ServiceArgs):
    """Vault's engines, auth methods and audit device."""

    kv_path: K8sName = "secret"
    admin_group: str = Field("VaultAdmin", description="AD group that gets the admin policy")
    ldap_path: K8sName = "ldap"
    kubernetes_path: K8sName = "kubernetes"
    kubernetes_token_ttl: int = Field(3600, ge=60, description="seconds; 1 h")
    eso_service_account: K8sName = "external-secrets"
    eso_namespace: K8sName = "external-secrets"
    eso_role: K8sName = "external-secrets"
    audit_file: str = Field(f"{AUDIT_DIR}/audit.log", pattern=rf"^{AUDIT_DIR}/[\w.-]+$")
    projects_token_ttl: str = Field("768h", pattern=r"^\d+h$", description="renewable; the projects pipeline renews it")
    skip_tls_verify: bool = Field(False, description="only for labs whose runner does not trust the internal CA")
    max_retries: int = Field(10, ge=0, description="retries on 5xx while the Raft leader settles after unseal")


class LdapBinding(Model):
    """What the LDAP auth method needs to know about Active Directory (from idp:global.ldap)."""

    url: str
    bind_dn: str
    user_base_dn: str
    group_base_dn: str
    username_attribute: str = "sAMAccountName"
    start_tls: bool = False
    insecure_skip_verify: bool = False


class VaultConfig(PlatformService):
    """KV v2, LDAP and Kubernetes auth, policies, audit device and the projects token."""

    key = "vault_config"
    args_type = VaultConfigArgs
    # Configured through the ingress: Traefik and the certificate issuer come first.
    needs = {
        "vault": "the Vault it configures",
        "traefik": "it reaches Vault through the ingress",
        "cert_manager": "the ingress certificate it trusts",
    }

    address: pulumi.Output[str]
    """Vault address for the projects stack (secret)."""
    projects_token: pulumi.Output[str]
    """Token with the projects-provisioner policy (secret)."""
    kv_path: str
    """Mount path of the platform KV v2 engine."""
    provider: vault.Provider
    """Provider authenticated as root, for platform components that write secrets (cosign)."""
    ready: list[pulumi.Resource]
    """Depend on these before using the auth methods (External Secrets)."""
    kubernetes_path: str
    """Mount path of the Kubernetes auth method."""
    eso_role: str
    """Kubernetes-auth role of the platform ClusterSecretStore."""

    def __init__(
        self,
        name: str,
        args: VaultConfigArgs,
        *,
        address: pulumi.Input[str],
        root_token: pulumi.Input[str],
        ldap: LdapBinding,
        ldap_bind_password: pulumi.Input[str],
        ca_certificate: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:VaultConfig", name, {}, opts)
        self.provider = vault.Provider(
            f"{name}-provider",
            address=address,
            token=pulumi.Output.secret(root_token),
            # The ingress certificate comes from the platform CA created in the same run.
            ca_cert_file=None if ca_certificate is None else pulumi.Output.from_input(ca_certificate).apply(ca_file),
            skip_tls_verify=args.skip_tls_verify,
            skip_child_token=True,
            max_retries=args.max_retries,
            # Every resource here uses this provider: what the component waits for, it waits for.
            opts=pulumi.ResourceOptions(parent=self, depends_on=_depends_on(opts)),
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        kv = vault.Mount(
            f"{name}-kv",
            path=args.kv_path,
            type="kv",
            options={"version": "2"},
            description="Platform secrets (KV v2)",
            opts=child,
        )
        audit = vault.Audit(
            f"{name}-audit",
            type="file",
            path="file",
            options={"file_path": args.audit_file},
            description="Audit log on the audit volume",
            opts=child,
        )
        policies = self._policies(name, args, child)
        ldap_backend = self._ldap(name, args, ldap, ldap_bind_password, child, policies["admin"])
        k8s_role = self._kubernetes(name, args, child, policies["eso"])
        token = vault.Token(
            f"{name}-projects-token",
            policies=[policies["projects"].name],
            display_name="idp-projects-stack",
            renewable=True,
            ttl=args.projects_token_ttl,
            no_parent=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, additional_secret_outputs=["client_token"]),
        )
        self.kv_path = args.kv_path
        self.kubernetes_path = args.kubernetes_path
        self.eso_role = args.eso_role
        self.address = pulumi.Output.secret(address)
        self.projects_token = pulumi.Output.secret(token.client_token)
        self.ready = [kv, audit, ldap_backend, k8s_role]
        self.register_outputs({"address": self.address, "projectsToken": self.projects_token, "kvPath": self.kv_path})

    @classmethod
    def create(cls, name: str, args: VaultConfigArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "VaultConfig":
        vault_service = context.services["vault"]
        cert_manager = context.get("cert_manager")
        assert isinstance(vault_service, Vault)
        return cls(
            name,
            args,
            address=vault_service.address,
            root_token=vault_service.root_token,
            ldap=ldap_binding(context.ldap),
            ldap_bind_password=context.secret("ldapBindPassword"),
            ca_certificate=cert_manager.root_ca_certificate if isinstance(cert_manager, CertManager) else None,
            opts=opts,
        )

    def stack_outputs(self) -> dict:
        return {"vaultAddress": self.address, "vaultToken": self.projects_token}

    def _policies(self, name: str, args: VaultConfigArgs, opts: pulumi.ResourceOptions) -> dict[str, vault.Policy]:
        return {
            "admin": vault.Policy(f"{name}-policy-admin", name="admin", policy=ADMIN_POLICY, opts=opts),
            "projects": vault.Policy(
                f"{name}-policy-projects", name="projects-provisioner", policy=PROJECTS_POLICY, opts=opts
            ),
            "eso": vault.Policy(f"{name}-policy-eso", name="eso-platform", policy=eso_policy(args.kv_path), opts=opts),
        }

    def _ldap(self, name, args, ldap: LdapBinding, password, opts, admin_policy) -> vault.ldap.AuthBackend:
        backend = vault.ldap.AuthBackend(
            f"{name}-ldap",
            path=args.ldap_path,
            url=ldap.url,
            binddn=ldap.bind_dn,
            bindpass=pulumi.Output.secret(password),
            userdn=ldap.user_base_dn,
            userattr=ldap.username_attribute,
            # AD: nested group membership through the matching-rule-in-chain OID.
            groupdn=ldap.group_base_dn,
            groupfilter="(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={{.UserDN}}))",
            groupattr="cn",
            starttls=ldap.start_tls,
            insecure_tls=ldap.insecure_skip_verify,
            deny_null_bind=True,
            case_sensitive_names=False,
            token_ttl=8 * 3600,
            description="Active Directory",
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["bindpass"])),
        )
        vault.ldap.AuthBackendGroup(
            f"{name}-ldap-admins",
            backend=backend.path,
            groupname=args.admin_group,
            policies=[admin_policy.name],
            opts=opts,
        )
        return backend

    def _kubernetes(self, name, args: VaultConfigArgs, opts, eso_policy_res) -> vault.kubernetes.AuthBackendRole:
        backend = vault.AuthBackend(
            f"{name}-kubernetes",
            type="kubernetes",
            path=args.kubernetes_path,
            description="Service-account tokens of this cluster (External Secrets, pods)",
            opts=opts,
        )
        # Vault runs in the cluster: it reviews tokens with its own service account and CA.
        config = vault.kubernetes.AuthBackendConfig(
            f"{name}-kubernetes-config",
            backend=backend.path,
            kubernetes_host="https://kubernetes.default.svc:443",
            opts=opts,
        )
        return vault.kubernetes.AuthBackendRole(
            f"{name}-kubernetes-eso",
            backend=backend.path,
            role_name=args.eso_role,
            bound_service_account_names=[args.eso_service_account],
            bound_service_account_namespaces=[args.eso_namespace],
            token_policies=[eso_policy_res.name],
            token_ttl=args.kubernetes_token_ttl,
            token_max_ttl=args.kubernetes_token_ttl,
            audience="vault",
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[config])),
        )


def ldap_binding(ldap: LdapConfig) -> LdapBinding:
    """The LDAP auth settings from `idp:global.ldap`."""
    return LdapBinding(
        url=ldap.url,
        bind_dn=ldap.bind_dn,
        user_base_dn=ldap.user_base_dn,
        group_base_dn=ldap.group_base_dn,
        username_attribute=ldap.username_attribute,
        start_tls=ldap.start_tls,
        insecure_skip_verify=ldap.insecure_skip_verify,
    )
