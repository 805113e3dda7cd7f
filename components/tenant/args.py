"""Typed arguments of a tenant project: one entry of `idp:projects` in the environment file.

`TenantProjectArgs` is what a team's entry says (validated by the same model the component takes);
`TenantPlatform` is what the platform layer hands every project (host names, Vault auth mounts, the
Harbor registry), built by `stacks/projects.py` from the typed platform stack reference. Defaults
live here: quotas, limit ranges, preview sizes, Harbor storage quota.
"""

from __future__ import annotations

import fnmatch
import re

from pydantic import Field, model_validator

from components.golden_path.chart import CHART_NAME, chart_version
from components.model import Fqdn, K8sName, Model, Quantity, not_above, raise_path_errors

RESERVED_PROJECT_NAMES = {
    # Argo CD: the built-in project and the platform's own project.
    "default": "the Argo CD default project",
    "platform": "the platform's Argo CD project and Harbor chart project",
    # Vault: system mounts and the platform KV mount.
    "secret": "the platform's Vault KV mount",
    "sys": "a Vault system path",
    "auth": "a Vault system path",
    "identity": "a Vault system path",
    "cubbyhole": "a Vault system path",
    # Harbor's built-in public project.
    "library": "Harbor's built-in project",
}
"""Names a project cannot take, because one of its parts would collide with the platform's."""

_REPO_UUID = re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$")
_BITBUCKET_CLONE = re.compile(r"^(?P<base>https://[^/\s]+(?:/[^\s]*?)?)/scm/(?P<key>[^/\s*]+)/(?P<slug>[^/\s*]+?)(?:\.git)?$")


class QuotaArgs(Model):
    """The `hard` limits of a namespace's ResourceQuota."""

    requests_cpu: Quantity = "4"
    requests_memory: Quantity = "8Gi"
    limits_cpu: Quantity = "8"
    limits_memory: Quantity = "16Gi"
    requests_storage: Quantity = "100Gi"
    persistent_volume_claims: int = Field(10, ge=0)
    pods: int = Field(50, ge=1)
    services: int = Field(20, ge=0)
    services_load_balancers: int = Field(0, ge=0, description="LoadBalancer Services take MetalLB addresses; none by default")

    @model_validator(mode="after")
    def _requests_within_limits(self) -> "QuotaArgs":
        raise_path_errors(
            not_above(
                [
                    ("requestsCpu", self.requests_cpu, "limitsCpu", self.limits_cpu),
                    ("requestsMemory", self.requests_memory, "limitsMemory", self.limits_memory),
                ]
            )
        )
        return self

    def hard(self) -> dict[str, str]:
        return {
            "requests.cpu": self.requests_cpu,
            "requests.memory": self.requests_memory,
            "limits.cpu": self.limits_cpu,
            "limits.memory": self.limits_memory,
            "requests.storage": self.requests_storage,
            "persistentvolumeclaims": str(self.persistent_volume_claims),
            "pods": str(self.pods),
            "services": str(self.services),
            "services.loadbalancers": str(self.services_load_balancers),
        }


class LimitRangeArgs(Model):
    """Defaults and ceilings for containers that do not set their own resources."""

    default_request_cpu: Quantity = "100m"
    default_request_memory: Quantity = "128Mi"
    default_limit_cpu: Quantity = "500m"
    default_limit_memory: Quantity = "512Mi"
    max_cpu: Quantity = "4"
    max_memory: Quantity = "8Gi"

    @model_validator(mode="after")
    def _ordered(self) -> "LimitRangeArgs":
        """A default request above its default limit, or a default above the maximum, is refused by the API server."""
        raise_path_errors(
            not_above(
                [
                    ("defaultRequestCpu", self.default_request_cpu, "defaultLimitCpu", self.default_limit_cpu),
                    ("defaultRequestMemory", self.default_request_memory, "defaultLimitMemory", self.default_limit_memory),
                    ("defaultLimitCpu", self.default_limit_cpu, "maxCpu", self.max_cpu),
                    ("defaultLimitMemory", self.default_limit_memory, "maxMemory", self.max_memory),
                ]
            )
        )
        return self

    def limits(self) -> list[dict]:
        return [
            {
                "type": "Container",
                "defaultRequest": {"cpu": self.default_request_cpu, "memory": self.default_request_memory},
                "default": {"cpu": self.default_limit_cpu, "memory": self.default_limit_memory},
                "max": {"cpu": self.max_cpu, "memory": self.max_memory},
            }
        ]


def _preview_quota() -> QuotaArgs:
    return QuotaArgs(
        requests_cpu="1",
        requests_memory="2Gi",
        limits_cpu="2",
        limits_memory="4Gi",
        requests_storage="0",
        persistent_volume_claims=0,
        pods=10,
        services=5,
    )


class PreviewArgs(Model):
    """Pull-request preview environments built from one Bitbucket Server repository."""

    enabled: bool | None = Field(
        None,
        description="true: required (config error without a repository); false: off; unset: on when a "
        "Bitbucket Server repository is known (preview.repoUrl or a concrete sourceRepos entry)",
    )
    repo_url: str | None = Field(
        None,
        description="Bitbucket Server clone URL (https://<host>/scm/<KEY>/<repo>.git); defaults to the first "
        "concrete Bitbucket entry of sourceRepos",
    )
    values_path: str = Field(
        "apps/{app}/values.yaml",
        pattern=r"^[^\s/][^\s]*\{app\}[^\s]*$",
        description="the app's values file in the repository; {app} is the <app> of preview/<app>/<desc>",
    )
    token_secret: K8sName = Field("bitbucket-token", description="Secret in the Argo CD namespace with key `token`")
    requeue_after_seconds: int = Field(300, ge=30)
    quota: QuotaArgs = Field(default_factory=_preview_quota)


class HarborProjectArgs(Model):
    """The project's registry in Harbor."""

    storage_quota_gb: int = Field(50, ge=-1, description="-1: unlimited")
    vulnerability_scanning: bool = True


class CiArgs(Model):
    """The project's CI identity: which Bitbucket Pipelines repositories may log in to Vault as it."""

    repository_uuids: list[str] = Field(
        default_factory=list,
        description="Bitbucket repository UUIDs ({...}, Repository settings > OpenID Connect) bound to the "
        "project's Vault JWT role through the `repositoryUuid` claim; empty: no CI role",
    )
    token_ttl: int = Field(900, ge=60, le=3600, description="seconds a CI Vault token lives")

    @model_validator(mode="after")
    def _uuids(self) -> "CiArgs":
        errors = [
            (f"repositoryUuids[{i}]", f"{uuid!r} is not a Bitbucket repository UUID such as "
             "{0b5c6ad3-6a2e-4b1f-9d3e-5b8f6c2a7e10}")
            for i, uuid in enumerate(self.repository_uuids)
            if not _REPO_UUID.match(uuid)
        ]
        raise_path_errors(errors)
        return self


class TenantProjectArgs(Model):
    """A team's project: its environments become namespaces `<project>-<env>`."""

    name: K8sName
    environments: list[K8sName] = Field(default_factory=lambda: ["staging", "production"], min_length=1)
    team_group: str | None = Field(None, description="AD group of the team; defaults to the project name")
    source_repos: list[str] = Field(default_factory=list, description="Git repositories Argo CD may deploy from")
    quota: QuotaArgs = Field(default_factory=QuotaArgs)
    environment_quotas: dict[K8sName, QuotaArgs] = Field(
        default_factory=dict, description="per-environment quota instead of `quota`, keyed by environment"
    )
    limit_range: LimitRangeArgs = Field(default_factory=LimitRangeArgs)
    log_level: str = Field("info", pattern=r"^(debug|info|warn|warning|error)$", description="LOG_LEVEL default in Vault")
    harbor: HarborProjectArgs = Field(default_factory=HarborProjectArgs)
    preview: PreviewArgs = Field(default_factory=PreviewArgs)
    ci: CiArgs = Field(default_factory=CiArgs)

    @property
    def group(self) -> str:
        return self.team_group or self.name

    @property
    def namespaces(self) -> list[str]:
        return [f"{self.name}-{env}" for env in self.environments]

    def quota_for(self, environment: str) -> QuotaArgs:
        return self.environment_quotas.get(environment, self.quota)

    @property
    def preview_repo(self) -> "BitbucketRepo | None":
        """The repository previews are built from, when previews are enabled and one is known."""
        if self.preview.enabled is False:
            return None
        candidates = [self.preview.repo_url] if self.preview.repo_url else self.source_repos
        for url in candidates:
            match = _BITBUCKET_CLONE.match(url or "")
            if match:
                return BitbucketRepo(
                    clone_url=url,
                    api=f"{match['base']}/rest",
                    project=match["key"].upper(),
                    repo=match["slug"],
                )
        return None

    @property
    def previews_enabled(self) -> bool:
        return self.preview_repo is not None

    @model_validator(mode="after")
    def _checks(self) -> "TenantProjectArgs":
        errors = []
        if self.name in RESERVED_PROJECT_NAMES:
            errors.append(("name", f"{self.name} is reserved ({RESERVED_PROJECT_NAMES[self.name]})"))
        if len(set(self.environments)) != len(self.environments):
            errors.append(("environments", "environment names must be unique"))
        for i, env in enumerate(self.environments):
            if env.startswith("pr-"):
                errors.append((f"environments[{i}]", f"{env} would clash with preview namespaces {self.name}-pr-<number>"))
        for i, ns in enumerate(self.namespaces):
            if len(ns) > 63:
                errors.append((f"environments[{i}]", f"namespace {ns} is longer than 63 characters"))
        # Preview namespaces `<project>-pr-<number>` must stay DNS labels for realistic PR numbers.
        if len(f"{self.name}-pr-999999") > 63:
            errors.append(("name", f"{self.name} is too long for preview namespaces {self.name}-pr-<number>"))
        for env in self.environment_quotas:
            if env not in self.environments:
                errors.append((f"environmentQuotas.{env}", f"{env} is not one of environments {self.environments}"))
        if self.preview.enabled is not False:
            repo = self.preview_repo
            if self.preview.repo_url and repo is None:
                errors.append(("preview.repoUrl", f"{self.preview.repo_url} is not a Bitbucket Server clone URL "
                               "(https://<host>/scm/<KEY>/<repo>.git)"))
            elif repo is None and self.preview.enabled:
                errors.append(("preview.repoUrl", "previews need a Bitbucket Server repository: set preview.repoUrl "
                               "(https://<host>/scm/<KEY>/<repo>.git, allowed by sourceRepos) or preview.enabled: false"))
            elif repo is not None and not any(fnmatch.fnmatchcase(repo.clone_url, pattern) for pattern in self.source_repos):
                errors.append(("preview.repoUrl", f"{repo.clone_url} is not allowed by sourceRepos {self.source_repos}; "
                               "Argo CD would refuse the preview applications"))
        raise_path_errors(errors)
        return self


class BitbucketRepo(Model):
    """A Bitbucket Server repository as the ApplicationSet pull-request generator addresses it."""

    clone_url: str
    api: str
    project: str
    repo: str


class PlatformChart(Model):
    """Where the golden-path base chart is published (an OCI repository in Harbor)."""

    repository: str = Field("platform", description="Harbor project holding the chart")
    name: str = CHART_NAME
    version: str = Field(default_factory=chart_version, description="default: the version in charts/platform-app/Chart.yaml")


class SigningKey(Model):
    """The platform's cosign key in Vault Transit: pipelines may sign with it, never read it."""

    mount: K8sName = "transit"
    name: K8sName = "cosign"

    @property
    def sign_path(self) -> str:
        return f"{self.mount}/sign/{self.name}"

    @property
    def cosign_ref(self) -> str:
        """What `cosign sign --key` takes; cosign reads VAULT_ADDR/VAULT_TOKEN (and TRANSIT_SECRET_ENGINE_PATH)."""
        return f"hashivault://{self.name}"


class TenantPlatform(Model):
    """What the platform gives every tenant project; built by the projects stack from its references."""

    domain: Fqdn
    harbor_host: Fqdn = Field(description="registry host of Harbor, without scheme")
    vault_address: str = Field("http://vault-active.vault.svc:8200", description="Vault as seen from inside the cluster (ESO)")
    vault_kubernetes_path: K8sName = "kubernetes"
    vault_ldap_path: K8sName = "ldap"
    argocd_namespace: K8sName = "argocd"
    ingress_namespace: K8sName = "traefik"
    cluster_issuer: K8sName = "platform-ca"
    cluster_server: str = "https://kubernetes.default.svc"
    chart: PlatformChart = Field(default_factory=PlatformChart)
    gitops_repo: str | None = Field(None, description="GitOps repository clone URL; without it no project ApplicationSet")
    gitops_revision: str = "main"
    ldap_group_base_dn: str | None = Field(None, description="AD group base DN; the team's group joins its Harbor project")
    ci_auth_path: K8sName | None = Field(None, description="Vault JWT mount of Bitbucket Pipelines OIDC; None: no CI roles")
    ci_audience: str | None = None
    signing_key: SigningKey | None = Field(None, description="Vault Transit key the pipelines sign with")
    protect: bool = True
    urls: dict[str, str] = Field(default_factory=dict)
    # The platform's switches: a platform without Vault (or Harbor) is a valid environment, and its
    # projects then get no Vault mount, roles and synced secrets (no Harbor project and robot).
    vault: bool = Field(True, description="the platform runs Vault (and its configuration)")
    harbor: bool = Field(True, description="the platform runs Harbor")

    def url(self, service: str) -> str:
        return self.urls.get(service) or f"https://{service}.{self.domain}"

    @property
    def chart_repo(self) -> str:
        """Argo CD names OCI Helm repositories by registry path, without `oci://`."""
        return f"{self.harbor_host}/{self.chart.repository}"


def project_isolation_errors(projects: list[TenantProjectArgs]) -> list[tuple[str, str]]:
    """Checks across projects that keep isolation by construction (paths relative to `idp:`).

    - A project's Argo CD destinations are `<project>-*`; a project named `<other>-...` would have
      its namespaces inside the other project's fence, so such names are refused.
    - Vault maps an LDAP group to policies by group name (case-insensitive): two projects with the
      same team group would overwrite each other's mapping.
    """
    errors: list[tuple[str, str]] = []
    groups: dict[str, int] = {}
    for j, project in enumerate(projects):
        for i, other in enumerate(projects):
            if i != j and project.name.startswith(f"{other.name}-"):
                errors.append((
                    f"projects[{j}].name",
                    f"{project.name} starts with {other.name}-, so its namespaces would match projects[{i}]'s "
                    f"Argo CD destinations {other.name}-*; choose a name that does not start with {other.name}-",
                ))
        group = project.group.lower()
        if group in groups and projects[groups[group]].name != project.name:  # same name: reported already
            errors.append((
                f"projects[{j}].teamGroup",
                f"group {project.group} already owns projects[{groups[group]}]; Vault maps one LDAP group to one "
                "project's policy, so give each project its own AD group",
            ))
        groups.setdefault(group, j)
    return errors
