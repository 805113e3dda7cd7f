"""The Argo CD Application that deploys one environment of an application.

What the project's ApplicationSet (components/tenant/delivery.py) makes of the folder
`apps/<project>/<app>/<env>/` the file is committed to: same name, project, chart, chart version,
release and namespace; it carries the values inline, so the file shows on its own what the folder
deploys, and `kubectl apply -f application.yaml` reproduces it by hand (break-glass).

The Application points at the shared `platform-app` chart in Harbor's OCI registry at the exact
chart version of this repository, carries the rendered values inline (so the Git commit is the
whole truth of what runs), lives in the tenant project's AppProject, and syncs automatically
with prune and self-heal. Previews create their namespace, labelled so the platform's default
policies (Kyverno generate) apply to it as to any tenant namespace.
"""

from __future__ import annotations

from typing import Any

from components.golden_path import layout
from components.golden_path.chart import CHART_NAME, chart_version
from components.golden_path.environments import Env, namespace
from components.labels import namespace_labels
from components.tenant.labels import PREVIEW_LABEL, PROJECT_LABEL

ARGOCD_NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
SCHEMA_URL = (
    "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/argoproj.io/application_v1alpha1.json"
)


def application_name(project: str, name: str, env: Env, pr: int | None = None) -> str:
    """The name the project's ApplicationSet gives the folder's Application (components/tenant/delivery.py)."""
    return layout.application_name(project, name, layout.env_folder(env, pr))


def application(values: dict[str, Any], env: Env, *, chart_repo: str, pr: int | None = None) -> dict[str, Any]:
    """The Application for rendered, schema-checked `values` of environment `env`."""
    app = values["app"]
    name, project, team = app["name"], app["project"], app["team"]
    sync_options = ["ServerSideApply=true", "PruneLast=true"]
    sync_policy: dict[str, Any] = {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": sync_options,
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }
    if env == "preview":
        sync_options.append("CreateNamespace=true")
        # The same labels the project's preview ApplicationSet gives its namespaces, so the same
        # Kyverno policies (quota, limits, ingress, pull secret) complete this one.
        sync_policy["managedNamespaceMetadata"] = {
            "labels": {**namespace_labels("restricted"), PROJECT_LABEL: project, PREVIEW_LABEL: "true"}
        }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": application_name(project, name, env, pr),
            "namespace": ARGOCD_NAMESPACE,
            "labels": {
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/part-of": project,
                "app.kubernetes.io/team": team,
                "app.kubernetes.io/managed-by": "idpctl",
                PROJECT_LABEL: project,
                "idp.platform/environment": layout.env_folder(env, pr),
            },
            "annotations": {"idp.platform/image-tag": str(values["image"]["tag"])},
            # Deleting the Application (e.g. a closed preview) deletes what it deployed.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": project,
            "source": {
                "repoURL": chart_repo,
                "chart": CHART_NAME,
                "targetRevision": chart_version(),
                "helm": {"releaseName": name, "valuesObject": values},
            },
            "destination": {"server": IN_CLUSTER, "namespace": namespace(project, env, pr)},
            "syncPolicy": sync_policy,
            "revisionHistoryLimit": 5,
        },
    }
