"""ProjectPreviews: pull-request preview environments of a tenant project.

An Argo CD ApplicationSet with the Bitbucket Server pull-request generator watches the project's
preview repository. Every open pull request from a branch `preview/<app>/<desc>` becomes an
Application that installs the golden-path base chart (from Harbor) with the app's values file from
the pull request's head commit, into namespace `<project>-pr-<number>`, reachable at
`https://<app>-pr-<number>.<domain>` with a certificate from the platform CA. Overrides keep a
preview small and stateless: one replica, no autoscaling, no Reloader, no secrets, no volumes
(no persistence, database or broker). The chart has no VPA, so there is none to switch off.

When the pull request is merged or declined the generator stops producing it, the ApplicationSet
deletes the Application, and its finalizer deletes everything it created -- including the
namespace, which Argo CD tracks because it is created with `managedNamespaceMetadata`.

A per-project Kyverno ClusterPolicy completes each preview namespace the moment it appears (it
matches `<project>-pr-*` only): a ResourceQuota, a LimitRange, ingress from the ingress controller,
and the project's Harbor pull secret cloned from its first environment namespace.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.platform.chart import namespace_labels
from components.tenant.args import TenantPlatform, TenantProjectArgs
from components.tenant.labels import PREVIEW_LABEL, PROJECT_LABEL, project_labels, pull_secret_name

ARGOCD_API = "argoproj.io/v1alpha1"
KYVERNO_API = "kyverno.io/v1"
BRANCH_PATTERN = r"^preview/[a-z0-9]([-a-z0-9]*[a-z0-9])?/.+$"
"""Branches that get a preview: `preview/<app>/<desc>`, `<app>` a DNS label (it names objects)."""

APP = '{{ index (splitList "/" .branch) 1 }}'
"""Go template: the `<app>` segment of the pull request's source branch."""
NUMBER = "{{ .number }}"
HEAD_SHA = "{{ .head_sha }}"


def preview_namespace(project: str, number: str = NUMBER) -> str:
    return f"{project}-pr-{number}"


def preview_host(domain: str, app: str = APP, number: str = NUMBER) -> str:
    return f"{app}-pr-{number}.{domain}"


def preview_values(args: TenantProjectArgs, platform: TenantPlatform) -> dict:
    """Base-chart values laid over the app's own values file (null removes a key in Helm)."""
    return {
        "app": {"name": APP, "project": args.name, "environment": "preview"},
        "image": {"registry": platform.harbor_host, "repository": f"{args.name}/{APP}", "tag": HEAD_SHA},
        "imagePullSecrets": [pull_secret_name(args.name)],
        "replicas": 1,
        "autoscaling": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
        "reloader": {"enabled": False},
        "secrets": {"project": {"enabled": False}, "extra": None},
        "secretEnv": None,
        "persistence": None,
        "database": {"enabled": False},
        "rabbitmq": {"enabled": False},
        "ingress": {
            "enabled": True,
            "host": preview_host(platform.domain),
            "tls": {"enabled": True, "clusterIssuer": platform.cluster_issuer},
        },
    }


def application_set_spec(args: TenantProjectArgs, platform: TenantPlatform) -> dict:
    repo = args.preview_repo
    assert repo is not None, "validated by TenantProjectArgs"
    namespace = preview_namespace(args.name)
    return {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [
            {
                "pullRequest": {
                    "bitbucketServer": {
                        "api": repo.api,
                        "project": repo.project,
                        "repo": repo.repo,
                        "bearerToken": {"tokenRef": {"secretName": args.preview.token_secret, "key": "token"}},
                    },
                    "filters": [{"branchMatch": BRANCH_PATTERN}],
                    "requeueAfterSeconds": args.preview.requeue_after_seconds,
                }
            }
        ],
        # Closing the pull request removes the Application, and the finalizer removes its resources.
        "syncPolicy": {"preserveResourcesOnDeletion": False},
        "template": {
            "metadata": {
                "name": f"{args.name}-{APP}-pr-{NUMBER}",
                "labels": {PROJECT_LABEL: args.name, PREVIEW_LABEL: "true"},
                "finalizers": ["resources-finalizer.argocd.argoproj.io"],
            },
            "spec": {
                "project": args.name,
                "sources": [
                    {
                        "repoURL": platform.chart_repo,
                        "chart": platform.chart.name,
                        "targetRevision": platform.chart.version,
                        "helm": {
                            "releaseName": APP,
                            "valueFiles": ["$values/" + args.preview.values_path.replace("{app}", APP)],
                            "valuesObject": preview_values(args, platform),
                        },
                    },
                    {"repoURL": repo.clone_url, "targetRevision": HEAD_SHA, "ref": "values"},
                ],
                "destination": {"server": platform.cluster_server, "namespace": namespace},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "syncOptions": ["CreateNamespace=true"],
                    "managedNamespaceMetadata": {
                        "labels": {
                            **namespace_labels("restricted"),
                            PROJECT_LABEL: args.name,
                            PREVIEW_LABEL: "true",
                        }
                    },
                },
            },
        },
    }


def _generate(kind: str, name: str, **body) -> dict:
    return {
        "apiVersion": body.pop("api_version", "v1"),
        "kind": kind,
        "name": name,
        "namespace": "{{request.object.metadata.name}}",
        "synchronize": True,
        **body,
    }


def preview_policy_spec(args: TenantProjectArgs, platform: TenantPlatform) -> dict:
    match = {"any": [{"resources": {"kinds": ["Namespace"], "names": [preview_namespace(args.name, "*")]}}]}
    source_namespace = args.namespaces[0]
    return {
        "background": True,
        "rules": [
            {
                "name": "preview-quota",
                "match": match,
                "generate": _generate("ResourceQuota", "preview-quota", data={"spec": {"hard": args.preview.quota.hard()}}),
            },
            {
                "name": "preview-limits",
                "match": match,
                "generate": _generate("LimitRange", "preview-limits", data={"spec": {"limits": args.limit_range.limits()}}),
            },
            {
                "name": "preview-ingress",
                "match": match,
                "generate": _generate(
                    "NetworkPolicy",
                    "allow-from-ingress-controller",
                    api_version="networking.k8s.io/v1",
                    data={
                        "spec": {
                            "podSelector": {},
                            "policyTypes": ["Ingress"],
                            "ingress": [
                                {
                                    "from": [
                                        {
                                            "namespaceSelector": {
                                                "matchLabels": {"kubernetes.io/metadata.name": platform.ingress_namespace}
                                            }
                                        }
                                    ]
                                }
                            ],
                        }
                    },
                ),
            },
            {
                "name": "preview-pull-secret",
                "match": match,
                "generate": _generate(
                    "Secret",
                    pull_secret_name(args.name),
                    clone={"namespace": source_namespace, "name": pull_secret_name(args.name)},
                ),
            },
        ],
    }


class ProjectPreviews(pulumi.ComponentResource):
    """ApplicationSet `<project>-previews` and Kyverno ClusterPolicy `tenant-<project>-previews`."""

    host_pattern: str
    """URL pattern of previews, `https://<app>-pr-<number>.<domain>`."""
    namespace_pattern: str
    """Namespace pattern of previews, `<project>-pr-<number>`."""

    def __init__(
        self,
        name: str,
        args: TenantProjectArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        platform: TenantPlatform,
        depends_on: list[pulumi.Resource] | None = None,
    ):
        super().__init__("idp:tenant:ProjectPreviews", name, {}, opts)
        labels = project_labels(args.name, "previews")
        self.host_pattern = f"https://{preview_host(platform.domain, '<app>', '<number>')}"
        self.namespace_pattern = preview_namespace(args.name, "<number>")
        policy = k8s.apiextensions.CustomResource(
            f"{name}-namespace-policy",
            api_version=KYVERNO_API,
            kind="ClusterPolicy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"tenant-{args.name}-previews",
                labels=labels,
                annotations={
                    "policies.kyverno.io/title": f"Preview namespaces of {args.name}",
                    "policies.kyverno.io/category": "Multi-Tenancy",
                    "policies.kyverno.io/severity": "medium",
                    "policies.kyverno.io/subject": "Namespace",
                    "policies.kyverno.io/description": (
                        f"Gives every preview namespace {args.name}-pr-* a ResourceQuota, a LimitRange, "
                        f"ingress from the ingress controller and the {args.name} Harbor pull secret."
                    ),
                },
            ),
            spec=preview_policy_spec(args, platform),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on or []),
        )
        # The policy exists before any preview namespace can, so none misses its quota.
        k8s.apiextensions.CustomResource(
            f"{name}-application-set",
            api_version=ARGOCD_API,
            kind="ApplicationSet",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.name}-previews", namespace=platform.argocd_namespace, labels=labels
            ),
            spec=application_set_spec(args, platform),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, *(depends_on or [])]),
        )
        self.register_outputs({"hostPattern": self.host_pattern, "namespacePattern": self.namespace_pattern})
