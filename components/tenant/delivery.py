"""ProjectDelivery: the ApplicationSets that turn the project's GitOps folders into Applications.

The app pipeline (and `idpctl app render`) writes `apps/<project>/<app>/<env>/values.yaml`
(components/golden_path/layout.py). One ApplicationSet per project, named `<project>-apps`, has a
git directory generator with one path per environment (`apps/<project>/*/<env>`); each folder it
finds becomes the Application `<project>-<app>-<env>` in the project's AppProject, installing the
platform's `platform-app` chart from Harbor with the folder's `values.yaml`, into `<project>-<env>`.
Committing a folder adds the application; removing the folder removes the Application and, through
its finalizer, everything it deployed. Pull-request previews committed by the pipeline
(`apps/<project>/<app>/pr-<N>/`) get their own ApplicationSet `<project>-pr-apps`, because their
namespace is created by the Application (and labelled like every preview namespace).

Project, namespace, chart and repository are fixed by the platform in the template; the folder
only supplies the app name (second path segment) and the values. A team cannot point its
Application at another project's namespace or at another chart by writing files.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.golden_path import layout
from components.platform.chart import namespace_labels
from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.labels import PREVIEW_LABEL, PROJECT_LABEL, project_labels

ARGOCD_API = "argoproj.io/v1alpha1"
APP = "{{ index .path.segments 2 }}"
"""Go template: the `<app>` segment of `apps/<project>/<app>/<env>`."""
FOLDER = "{{ .path.basename }}"
PATH = "{{ .path.path }}"


def application_template(args: TenantProjectArgs, platform: TenantPlatform, *, preview: bool) -> dict:
    """The Application each selected folder becomes (Go template over the generator's `path`)."""
    sync_options = ["ServerSideApply=true", "PruneLast=true"]
    sync_policy: dict = {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": sync_options,
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }
    if preview:
        sync_options.append("CreateNamespace=true")
        sync_policy["managedNamespaceMetadata"] = {
            "labels": {**namespace_labels("restricted"), PROJECT_LABEL: args.name, PREVIEW_LABEL: "true"}
        }
    return {
        "metadata": {
            "name": layout.application_name(args.name, APP, FOLDER),
            "labels": {
                "app.kubernetes.io/name": APP,
                "app.kubernetes.io/part-of": args.name,
                PROJECT_LABEL: args.name,
                "idp.platform/environment": FOLDER,
            },
            # Removing the folder deletes the Application, and the finalizer what it deployed.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": args.name,
            "sources": [
                {
                    "repoURL": platform.chart_repo,
                    "chart": platform.chart.name,
                    "targetRevision": platform.chart.version,
                    "helm": {"releaseName": APP, "valueFiles": [f"$values/{PATH}/values.yaml"]},
                },
                {"repoURL": platform.gitops_repo, "targetRevision": platform.gitops_revision, "ref": "values"},
            ],
            "destination": {"server": platform.cluster_server, "namespace": f"{args.name}-{FOLDER}"},
            "syncPolicy": sync_policy,
            "revisionHistoryLimit": 5,
        },
    }


def application_set_spec(args: TenantProjectArgs, platform: TenantPlatform, *, preview: bool = False) -> dict:
    paths = layout.generator_paths(args.name, [] if preview else list(args.environments), previews=preview)
    return {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [
            {
                "git": {
                    "repoURL": platform.gitops_repo,
                    "revision": platform.gitops_revision,
                    "directories": [{"path": path} for path in paths],
                }
            }
        ],
        # A removed folder removes its Application and what it deployed.
        "syncPolicy": {"preserveResourcesOnDeletion": False},
        "template": application_template(args, platform, preview=preview),
    }


def application_set_names(project: str) -> tuple[str, str]:
    """(environments, previews) ApplicationSet names."""
    return f"{project}-apps", f"{project}-pr-apps"


class ProjectDelivery(pulumi.ComponentResource):
    """ApplicationSets `<project>-apps` (environments) and `<project>-pr-apps` (pipeline previews)."""

    application_sets: list[str]
    """Names of the ApplicationSets in the Argo CD namespace."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
    ):
        super().__init__("idp:tenant:ProjectDelivery", name, {}, opts)
        envs_name, previews_name = application_set_names(args.name)
        sets = [(envs_name, False)] + ([(previews_name, True)] if args.previews_enabled else [])
        for set_name, preview in sets:
            k8s.apiextensions.CustomResource(
                f"{name}-{'previews' if preview else 'environments'}",
                api_version=ARGOCD_API,
                kind="ApplicationSet",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=set_name, namespace=platform.argocd_namespace, labels=project_labels(args.name, "delivery")
                ),
                spec=application_set_spec(args, platform, preview=preview),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.application_sets = [n for n, _ in sets]
        self.register_outputs({"applicationSets": self.application_sets})
