"""Layer 4, `<env>-projects` (runner 2): one TenantProject per entry of `idp:projects`.

Reads the cluster stack (kubeconfig) and the platform stack (domain, Vault address and the scoped
projects token, Harbor URL and admin credentials) through typed references, before registering
anything; a missing output stops the program with the output's name and the command that makes it.
Three providers are built from those outputs and handed to every project: Kubernetes, Vault,
Harbor.

Adding an entry creates the project; removing it removes everything it had (the Vault mount and
the Harbor project are protected when `idp:global.protect` is on and need the runbook's explicit
unprotect step, docs/runbooks/projects.md). Exports, per project: namespaces, URLs, Vault path,
Harbor project (and robot account name; its secret stays in Vault).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault
import pulumiverse_harbor as harbor

from components.platform.vault_config import ca_file
from components.s3 import S3Credentials
from components.tenant.args import SigningKey, TenantPlatform
from components.tenant.backups import TenantBackups
from components.tenant.project import TenantProject
from stacks import references
from stacks.loading import Environment
from stacks.program import read_environment, secret

VAULT_OUTPUTS = ("vaultAddress", "vaultToken")
HARBOR_OUTPUTS = ("harborUrl", "harborUsername", "harborPassword")
REQUIRED_PLATFORM_OUTPUTS = VAULT_OUTPUTS + HARBOR_OUTPUTS


def platform_switches(env: Environment) -> dict[str, bool]:
    """Which of Vault and Harbor the environment's platform runs (projects follow the same switches)."""
    platform = env.config.platform
    return {"vault": platform.vault.enabled and platform.vault_config.enabled, "harbor": platform.harbor.enabled}


def require_platform_outputs(
    platform: references.PlatformOutputs, env_name: str, organization: str, switches: dict[str, bool] | None = None
) -> None:
    """The outputs of the platform's enabled Vault and Harbor must be there: say which is missing."""
    switches = switches or {"vault": True, "harbor": True}
    wanted = (VAULT_OUTPUTS if switches["vault"] else ()) + (HARBOR_OUTPUTS if switches["harbor"] else ())
    missing = [field for field in wanted if getattr(platform, field) is None]
    if missing:
        raise pulumi.RunError(
            f"stack reference {references.stack_name(organization, env_name, 'platform')}: missing output(s) "
            f"{', '.join(missing)} (the environment enables Vault and Harbor); run "
            f"`{references.produce_command(env_name, 'platform')}` first"
        )


def tenant_platform(env: Environment, platform: references.PlatformOutputs) -> TenantPlatform:
    """What every project gets from the platform: hosts from outputs, auth mount paths from config."""
    config = env.config.platform
    vault_config = getattr(config, "vault_config", None)
    paths = {}
    if vault_config is not None:
        paths = {"vault_kubernetes_path": vault_config.kubernetes_path, "vault_ldap_path": vault_config.ldap_path}
        if vault_config.ci_oidc is not None:
            paths.update(ci_auth_path=vault_config.ci_oidc.path, ci_audience=vault_config.ci_oidc.audience)
        if config.cosign.enabled:
            paths["signing_key"] = SigningKey(mount=vault_config.transit_path, name=config.cosign.key_name)
    gitops = config.argocd.gitops
    if gitops is not None:
        paths.update(gitops_repo=gitops.url, gitops_revision=gitops.revision)
    return TenantPlatform(
        **platform_switches(env),
        ldap_group_base_dn=env.config.global_.ldap.group_base_dn,
        domain=platform.domain,
        harbor_host=urlparse(platform.harborUrl or "").hostname or f"harbor.{platform.domain}",
        protect=env.config.global_.protect,
        urls={k: v for k, v in platform.urls.items() if isinstance(v, str)},
        **paths,
    )


def tenant_backups(env: Environment) -> TenantBackups | None:
    """Each project namespace's database ObjectStore: the platform's bucket and keys, if CloudNativePG is on."""
    if not env.config.platform.cloudnative_pg.enabled:
        return None
    credentials = S3Credentials(secret(env, "s3AccessKeyId"), secret(env, "s3SecretAccessKey"))
    return TenantBackups(s3=env.config.global_.s3, credentials=credentials)


def main(env_name: str) -> None:
    env = read_environment(env_name, "projects")
    organization = env.config.organization

    async def program() -> None:
        cluster = await references.read(organization, env_name, "cluster")
        platform = await references.read(organization, env_name, "platform")
        require_platform_outputs(platform, env_name, organization, platform_switches(env))
        context = tenant_platform(env, platform)
        providers = [k8s.Provider(f"{env_name}-kubernetes", kubeconfig=cluster.kubeconfig, enable_server_side_apply=True)]
        if context.vault:
            providers.append(
                vault.Provider(
                    f"{env_name}-vault",
                    address=platform.vaultAddress,
                    token=platform.vaultToken,
                    # Vault is reached through the ingress, whose certificate the platform CA signed.
                    ca_cert_file=ca_file(platform.rootCaCertificate),
                )
            )
        if context.harbor:
            providers.append(
                harbor.Provider(
                    f"{env_name}-harbor",
                    url=platform.harborUrl,
                    username=platform.harborUsername,
                    password=platform.harborPassword,
                )
            )
        opts = pulumi.ResourceOptions(providers=providers)
        backups = tenant_backups(env)
        projects = {p.name: TenantProject(p.name, p, opts, platform=context, backups=backups) for p in env.config.projects}
        pulumi.export(
            "projects",
            {
                name: {
                    "namespaces": project.namespaces,
                    "urls": project.urls,
                    "vaultPath": project.vault_path,
                    "harborProject": project.harbor_project,
                    "robotAccount": project.robot_name,
                    "envSecret": project.env_secret,
                    "pullSecret": project.pull_secret,
                    "applicationSets": project.application_sets,
                    "ciRole": project.ci_role,
                }
                for name, project in projects.items()
            },
        )

    pulumi.run(program)
