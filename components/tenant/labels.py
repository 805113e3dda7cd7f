"""Labels and names every tenant object shares, so isolation checks can find a project's objects."""

from __future__ import annotations

from components.labels import standard_labels

PROJECT_LABEL = "idp.platform/project"
ENVIRONMENT_LABEL = "idp.platform/environment"
PREVIEW_LABEL = "idp.platform/preview"
TENANT_VERSION = "1"
"""Version of the tenant-project layout (label `app.kubernetes.io/version` of tenant objects)."""


def project_labels(project: str, component: str) -> dict[str, str]:
    """Standard labels plus the project label; `component` names the part (namespace, argocd, ...)."""
    return {
        **standard_labels(f"tenant-{component}", project, TENANT_VERSION),
        "app.kubernetes.io/component": component,
        PROJECT_LABEL: project,
    }


def vault_policy_names(project: str) -> tuple[str, str]:
    """(team policy, ESO policy); the projects token may only manage `project-*` policies."""
    return f"project-{project}-team", f"project-{project}-eso"


def vault_role_name(namespace: str) -> str:
    """Kubernetes auth role of a namespace; the projects token may only manage `project-*` roles."""
    return f"project-{namespace}"


def env_secret_name(project: str) -> str:
    return f"{project}-env"


def pull_secret_name(project: str) -> str:
    return f"{project}-harbor-pull"


ESO_SERVICE_ACCOUNT = "external-secrets-vault"
"""ServiceAccount in every project namespace that the SecretStore logs in to Vault with."""
SECRET_STORE = "vault"
"""Name of the namespaced SecretStore in every project namespace."""
