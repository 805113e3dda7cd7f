"""ProjectArgoCd: the project's Argo CD AppProject, the fence around everything the team deploys.

- destinations: the project's namespaces only (`<project>-*` on the local cluster), which covers
  its environments and its preview namespaces `<project>-pr-<number>`; config validation makes
  sure no other project's namespace matches that pattern;
- cluster-scoped resources: only Namespaces named `<project>-pr-*`, and only when the project has
  previews (they create their namespace); quotas, limit ranges and SecretStores stay the platform's;
- source repositories from config, plus the Harbor repository of the golden-path base chart and
  the GitOps repository the project's ApplicationSets read values from;
- role `developer`, mapped to the team's AD group, may manage the project's applications only.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.labels import project_labels

ARGOCD_API = "argoproj.io/v1alpha1"


def developer_policies(project: str) -> list[str]:
    role = f"proj:{project}:developer"
    return [
        f"p, {role}, applications, *, {project}/*, allow",
        f"p, {role}, applicationsets, get, {project}/*, allow",
        f"p, {role}, logs, get, {project}/*, allow",
    ]


def app_project_spec(args: TenantProjectArgs, platform: TenantPlatform) -> dict:
    gitops = [platform.gitops_repo] if platform.gitops_repo else []
    source_repos = list(dict.fromkeys([*args.source_repos, platform.chart_repo, *gitops]))
    return {
        "description": f"Tenant project {args.name} (team {args.group}); managed by the idp projects stack",
        "sourceRepos": source_repos,
        "destinations": [{"server": platform.cluster_server, "namespace": f"{args.name}-*"}],
        # Previews create their namespace; nothing else cluster-scoped, and nothing without previews.
        "clusterResourceWhitelist": (
            [{"group": "", "kind": "Namespace", "name": f"{args.name}-pr-*"}] if args.previews_enabled else []
        ),
        "namespaceResourceBlacklist": [
            {"group": "", "kind": "ResourceQuota"},
            {"group": "", "kind": "LimitRange"},
            {"group": "external-secrets.io", "kind": "SecretStore"},
        ],
        "roles": [
            {
                "name": "developer",
                "description": f"Developers of {args.name} (AD group {args.group})",
                "groups": [args.group],
                "policies": developer_policies(args.name),
            }
        ],
        "orphanedResources": {"warn": True},
    }


class ProjectArgoCd(pulumi.ComponentResource):
    """The AppProject `<project>` in the Argo CD namespace."""

    app_project: str
    """Name of the AppProject."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
    ):
        super().__init__("idp:tenant:ProjectArgoCd", name, {}, opts)
        self.app_project = args.name
        k8s.apiextensions.CustomResource(
            f"{name}-app-project",
            api_version=ARGOCD_API,
            kind="AppProject",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name,
                namespace=platform.argocd_namespace,
                labels=project_labels(args.name, "argocd"),
                # Argo CD refuses to delete a project that still has applications.
                finalizers=["resources-finalizer.argocd.argoproj.io"],
            ),
            spec=app_project_spec(args, platform),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"appProject": self.app_project})
