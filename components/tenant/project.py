"""TenantProject: everything one team's project owns, created from one config entry.

Parts, one component each (all children of the project, so removing the config entry removes them):
- `ProjectRegistry` (harbor.py): Harbor project and CI robot account;
- `ProjectVault` (vault.py): KV v2 mount `<project>/`, defaults, team and ESO policies, LDAP group,
  the robot credentials at `<project>/harbor`;
- `ProjectNamespace` (namespace.py), per environment: namespace `<project>-<env>` with quota,
  limits, ingress NetworkPolicy, Vault role, SecretStore, ExternalSecrets (env and pull secret);
- `ProjectArgoCd` (argocd.py): the AppProject that fences deployments to `<project>-*`;
- `ProjectObjectStore` (backups.py), per environment: the `backups` ObjectStore its databases
  archive to, with the platform's S3 credentials (when the platform has a backup store);
- `ProjectDelivery` (delivery.py): the ApplicationSets over `apps/<project>/*/<env>/` of the GitOps
  repository (when the platform has one);
- `ProjectCi` (ci.py): the Vault JWT role and policy of the project's Bitbucket Pipelines (when the
  platform has the OIDC mount and the project lists its repositories);
- `ProjectPreviews` (previews.py): pull-request previews, for a project with a Bitbucket Server
  repository to build them from (`preview.repoUrl` or a concrete `sourceRepos` entry).

Order is explicit: Vault policies before the namespaces' roles, the robot before its credentials,
the namespaces (and their pull secret) before the previews that clone it.
"""

from __future__ import annotations

import pulumi

from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.argocd import ProjectArgoCd
from components.tenant.backups import ProjectObjectStore, TenantBackups
from components.tenant.ci import ProjectCi
from components.tenant.delivery import ProjectDelivery
from components.tenant.harbor import ProjectRegistry
from components.tenant.labels import env_secret_name, pull_secret_name
from components.tenant.namespace import ProjectNamespace
from components.tenant.previews import ProjectPreviews
from components.tenant.vault import ProjectVault


class TenantProject(pulumi.ComponentResource):
    """A team's project: namespaces, Argo CD project, Vault engine and policies, Harbor, previews."""

    namespaces: list[str]
    """The project's namespaces, one per environment."""
    vault_path: str | None
    """Mount path of the project's KV v2 engine; the app secret is `<path>/env` (None without Vault)."""
    harbor_project: str | None
    """Harbor project holding the team's images (None without Harbor)."""
    robot_name: pulumi.Output[str] | None
    """Registry user of the CI robot account (its secret is in Vault at `<project>/harbor`)."""
    urls: dict[str, str]
    """Where the team finds its project: Argo CD, Harbor, Vault, and the preview URL pattern."""
    env_secret: str
    """Name of the Secret with the project's environment in every namespace."""
    pull_secret: str
    """Name of the image pull Secret in every namespace."""
    application_sets: list[str]
    """ApplicationSets reading the project's GitOps folders (none without a GitOps repository)."""
    ci_role: str | None
    """Vault JWT role of the project's pipelines (None without OIDC or repositories)."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
        backups: TenantBackups | None = None,
    ):
        super().__init__("idp:tenant:Project", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        registry = ProjectRegistry(f"{name}-harbor", args, child, platform=platform) if platform.harbor else None
        secrets = (
            ProjectVault(
                f"{name}-vault",
                args,
                child,
                platform=platform,
                harbor_username=registry.robot_name if registry else None,
                harbor_password=registry.robot_secret if registry else None,
            )
            if platform.vault
            else None
        )
        namespaces = [
            ProjectNamespace(
                f"{name}-{env}",
                args,
                pulumi.ResourceOptions(parent=self, depends_on=[secrets] if secrets else []),
                environment=env,
                platform=platform,
                eso_policy=secrets.eso_policy if secrets else None,
            )
            for env in args.environments
        ]
        if backups is not None:
            for env, ns in zip(args.environments, namespaces):
                ProjectObjectStore(
                    f"{name}-{env}-backups",
                    project=args.name,
                    namespace=ns.namespace,
                    backups=backups,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[ns]),
                )
        argocd = ProjectArgoCd(f"{name}-argocd", args, child, platform=platform)
        urls = {"argocd": f"{platform.url('argocd')}/applications?proj={args.name}"}
        if registry:
            urls["harbor"] = f"{platform.url('harbor')}/harbor/projects?name={args.name}"
        if secrets:
            urls["vault"] = f"{platform.url('vault')}/ui/vault/secrets/{args.name}/kv/list"
        if platform.gitops_repo:
            delivery = ProjectDelivery(
                f"{name}-delivery", args, pulumi.ResourceOptions(parent=self, depends_on=[argocd, *namespaces]),
                platform=platform,
            )
            self.application_sets = delivery.application_sets
        else:
            self.application_sets = []
        self.ci_role = None
        if platform.vault and platform.ci_auth_path and args.ci.repository_uuids:
            self.ci_role = ProjectCi(f"{name}-ci", args, child, platform=platform).role
        if args.previews_enabled:
            previews = ProjectPreviews(
                f"{name}-previews", args, child, platform=platform, depends_on=[*namespaces, argocd]
            )
            urls["previews"] = previews.host_pattern

        self.namespaces = args.namespaces
        self.vault_path = secrets.path if secrets else None
        self.harbor_project = registry.project_name if registry else None
        self.robot_name = registry.robot_name if registry else None
        self.urls = urls
        self.env_secret = env_secret_name(args.name)
        self.pull_secret = pull_secret_name(args.name)
        self.register_outputs(
            {
                "namespaces": self.namespaces,
                "vaultPath": self.vault_path,
                "harborProject": self.harbor_project,
                "robotName": self.robot_name,
                "urls": self.urls,
                "applicationSets": self.application_sets,
                "ciRole": self.ci_role,
            }
        )
