"""Argo CD: the GitOps engine, signed in through Dex against Active Directory.

Order inside the component (explicit, see docs/adr/0004-argocd-bootstrap.md):

1. namespace `argocd`;
2. Secret `argocd-ldap` (the LDAP bind password, labelled `app.kubernetes.io/part-of: argocd` so
   Argo CD resolves `bindPW: $argocd-ldap:bindPW` in the Dex configuration; the password never
   appears in chart values) and Secret `gitops-repo` (the GitOps repository credentials, labelled
   `argocd.argoproj.io/secret-type: repository`): both from Pulumi secrets, before the chart starts,
   so Dex and the repo server find them on their first start;
3. the chart (always Helm: Argo CD cannot deliver itself), with the server behind Traefik and a
   `platform-ca` certificate, RBAC `ArgoAdmin -> role:admin`, `ArgoReadOnly -> role:readonly`, and an
   empty default policy (no group, no access);
4. AppProject `platform` (what platform services delivered with `delivery: argocd` belong to; its
   source repositories are their chart repositories, OCI ones declared with `enableOCI`);
5. the root ApplicationSet: a git directory generator over `apps/*` of the GitOps repository, so
   adding a directory there adds an Application.
"""

from __future__ import annotations

import re
from typing import Sequence

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import Field, model_validator

from components.ldap import LdapConfig
from components.model import Fqdn, Model, Resources, raise_path_errors
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import (
    ARGOCD_NAMESPACE,
    PLATFORM_PROJECT,
    ChartRef,
    DeliveryArgs,
    IngressTls,
    argocd_source,
    standard_labels,
)
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS

NAMESPACE = ARGOCD_NAMESPACE
LDAP_SECRET = "argocd-ldap"
LDAP_SECRET_KEY = "bindPW"
REPO_SECRET = "gitops-repo"
SERVER_TLS_SECRET = "argocd-server-tls"
"""The secret the chart's server Ingress expects with `server.ingress.tls: true`."""
IN_CLUSTER = "https://kubernetes.default.svc"


class GitOpsRepo(Model):
    """The GitOps repository the root ApplicationSet reads (`apps/<name>/` = one Application)."""

    url: str = Field(pattern=r"^https://\S+$", description="HTTPS clone URL")
    revision: str = "main"
    username: str = Field(min_length=1, description="account whose password/token is idp:gitopsRepoPassword")
    directories: str = Field("apps/*", description="git generator directory pattern")


class ArgoCdArgs(DeliveryArgs):
    """Argo CD chart, host, GitOps repository, AD groups, and resources of every workload."""

    chart: ChartRef = ChartRef(repo="https://argoproj.github.io/argo-helm", name="argo-cd", version="10.1.1")
    host: Fqdn | None = Field(None, description="default argocd.<domain>")
    gitops: GitOpsRepo | None = Field(None, description="without it: no repository Secret and no root ApplicationSet")
    admin_group: str = "ArgoAdmin"
    readonly_group: str = "ArgoReadOnly"
    local_admin: bool = Field(False, description="keep the built-in admin user (break-glass); off: AD only")
    server_replicas: int = Field(2, ge=1)
    repo_server_replicas: int = Field(2, ge=1)
    controller_resources: Resources = Resources(requests_cpu="250m", requests_memory="512Mi", limits_memory="2Gi")
    server_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    repo_server_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    application_set_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    dex_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    redis_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    notifications_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    redis_secret_init_resources: Resources = Resources(requests_cpu="10m", requests_memory="32Mi", limits_memory="128Mi")

    @model_validator(mode="after")
    def _helm_only(self) -> "ArgoCdArgs":
        if self.delivery != "helm":
            raise_path_errors([("delivery", "Argo CD cannot deliver itself: it must be `helm`")])
        return self


def dex_config(ldap: LdapConfig) -> str:
    """The Dex LDAP connector for Active Directory; `bindPW` is a reference, resolved by Argo CD."""
    connector = {
        "type": "ldap",
        "id": "ad",
        "name": "Active Directory",
        "config": {
            "host": f"{ldap.host}:{ldap.port}",
            "insecureNoSSL": not ldap.use_tls and not ldap.start_tls,
            "insecureSkipVerify": ldap.insecure_skip_verify,
            "startTLS": ldap.start_tls,
            "bindDN": ldap.bind_dn,
            "bindPW": f"${LDAP_SECRET}:{LDAP_SECRET_KEY}",
            "usernamePrompt": "AD username",
            "userSearch": {
                "baseDN": ldap.user_base_dn,
                "filter": ldap.user_filter,
                "username": ldap.username_attribute,
                "idAttr": "objectGUID",
                "emailAttr": "mail",
                "nameAttr": "displayName",
                "preferredUsernameAttr": ldap.username_attribute,
            },
            "groupSearch": {
                "baseDN": ldap.group_base_dn,
                "filter": ldap.group_filter,
                "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}],
                "nameAttr": "cn",
            },
        },
    }
    return yaml.safe_dump({"connectors": [connector]}, sort_keys=False)


def rbac_policy(args: ArgoCdArgs) -> str:
    """Group -> role lines; everything else is denied by the empty default policy."""
    return f"g, {args.admin_group}, role:admin\ng, {args.readonly_group}, role:readonly\n"


def argocd_values(args: ArgoCdArgs, host: str, ldap: LdapConfig) -> dict:
    return {
        "global": {"domain": host},
        "crds": {"install": True, "keep": True},
        "configs": {
            # Traefik terminates TLS; the server behind it speaks plain HTTP inside the cluster.
            "params": {"server.insecure": True},
            "cm": {
                "admin.enabled": args.local_admin,
                "users.anonymous.enabled": False,
                "exec.enabled": False,
                "dex.config": dex_config(ldap),
            },
            "rbac": {"policy.csv": rbac_policy(args), "policy.default": "", "scopes": "[groups]"},
        },
        "server": {
            "replicas": args.server_replicas,
            "resources": args.server_resources.to_k8s(),
            "ingress": {
                "enabled": True,
                "ingressClassName": INGRESS_CLASS,
                "hostname": host,
                "annotations": dict(TLS_ROUTER_ANNOTATIONS),
                "tls": True,
            },
        },
        "controller": {"resources": args.controller_resources.to_k8s()},
        "repoServer": {"replicas": args.repo_server_replicas, "resources": args.repo_server_resources.to_k8s()},
        "applicationSet": {"resources": args.application_set_resources.to_k8s()},
        "dex": {"enabled": True, "resources": args.dex_resources.to_k8s()},
        "redis": {"resources": args.redis_resources.to_k8s()},
        "redisSecretInit": {"resources": args.redis_secret_init_resources.to_k8s()},
        "notifications": {"resources": args.notifications_resources.to_k8s()},
    }


def root_application_set_spec(repo: GitOpsRepo) -> dict:
    """One Application per directory matching `repo.directories`, named after the directory."""
    return {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [{"git": {"repoURL": repo.url, "revision": repo.revision, "directories": [{"path": repo.directories}]}}],
        "template": {
            "metadata": {"name": "{{ .path.basename }}", "labels": {"app.kubernetes.io/part-of": "idp-gitops"}},
            "spec": {
                "project": PLATFORM_PROJECT,
                "source": {"repoURL": repo.url, "targetRevision": repo.revision, "path": "{{ .path.path }}"},
                "destination": {"server": IN_CLUSTER, "namespace": "{{ .path.basename }}"},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
                    "managedNamespaceMetadata": {"labels": {"managed-by": "idp-platform"}},
                },
            },
        },
        "syncPolicy": {"preserveResourcesOnDeletion": True},
    }


class ArgoCd(PlatformService):
    """Argo CD with Dex/LDAP, its Secrets, the `platform` AppProject and the root ApplicationSet."""

    key = "argocd"
    args_type = ArgoCdArgs
    namespace = NAMESPACE
    release = "argocd"
    bootstrap = True
    ingress = True
    provides = ("argoproj.io/Application", "argoproj.io/ApplicationSet", "argoproj.io/AppProject")

    url: str
    """`https://<host>`."""
    ready: pulumi.Resource
    """The Argo CD release: Applications and AppProjects can be created after it."""
    project: pulumi.Resource
    """The `platform` AppProject (platform Applications depend on it)."""

    def __init__(
        self,
        name: str,
        args: ArgoCdArgs,
        tls: IngressTls,
        *,
        ldap: LdapConfig,
        ldap_bind_password: pulumi.Input[str],
        git_password: pulumi.Input[str],
        charts: Sequence[ChartRef] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:ArgoCd", name, {}, opts)
        host = args.host or tls.host("argocd")
        labels = standard_labels("argo-cd", "argocd", args.chart.version)
        namespace = self._namespace(name)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        ldap_secret = k8s.core.v1.Secret(
            f"{name}-ldap-secret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=LDAP_SECRET, namespace=NAMESPACE, labels={**labels, "app.kubernetes.io/part-of": "argocd"}
            ),
            type="Opaque",
            string_data={LDAP_SECRET_KEY: pulumi.Output.secret(ldap_bind_password)},
            opts=in_namespace,
        )
        repo_secrets = [self._repo_secret(name, args.gitops, labels, git_password, in_namespace)] if args.gitops else []
        chart = self._chart(
            name,
            args,
            argocd_values(args, host, ldap),
            create_namespace=False,
            depends_on=[namespace, ldap_secret, *repo_secrets],
        )
        certificate = ingress_certificate(
            f"{name}-server-certificate",
            namespace=NAMESPACE,
            secret_name=SERVER_TLS_SECRET,
            hosts=[host],
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, tls.issuer]),
        )
        oci_repos = self._oci_repositories(name, charts, labels, in_namespace)
        after_chart = pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, *oci_repos])
        self.project = k8s.apiextensions.CustomResource(
            f"{name}-platform-project",
            api_version="argoproj.io/v1alpha1",
            kind="AppProject",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=PLATFORM_PROJECT, namespace=NAMESPACE, labels=labels),
            spec={
                "description": "Platform services and the GitOps repository's apps/* (owned by the platform team)",
                "sourceRepos": sorted({*([args.gitops.url] if args.gitops else []), *(argocd_source(c)["repoURL"] for c in charts)}),
                "destinations": [{"server": IN_CLUSTER, "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                "roles": [
                    {
                        "name": "platform-admin",
                        "description": "the platform team",
                        "groups": [args.admin_group],
                        "policies": [f"p, proj:{PLATFORM_PROJECT}:platform-admin, applications, *, {PLATFORM_PROJECT}/*, allow"],
                    }
                ],
            },
            opts=after_chart,
        )
        if args.gitops:
            k8s.apiextensions.CustomResource(
                f"{name}-root-applicationset",
                api_version="argoproj.io/v1alpha1",
                kind="ApplicationSet",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="root", namespace=NAMESPACE, labels=labels),
                spec=root_application_set_spec(args.gitops),
                # The credentials exist before the first sync: no manual `argocd repo add`.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, self.project, *repo_secrets]),
            )
        self.ready = chart.ready
        self.url = f"https://{host}"
        self.register_outputs({"url": self.url, "certificate": certificate.id})

    @classmethod
    def create(cls, name: str, args: ArgoCdArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "ArgoCd":
        return cls(
            name,
            args,
            context.require_tls(cls.key),
            ldap=context.ldap,
            ldap_bind_password=context.secret("ldapBindPassword"),
            git_password=context.secret("gitopsRepoPassword"),
            charts=context.argocd_charts,
            opts=opts,
        )

    def urls(self) -> dict[str, str]:
        return {"argocd": self.url}

    def _oci_repositories(
        self, name: str, charts: Sequence[ChartRef], labels: dict, opts: pulumi.ResourceOptions
    ) -> list[k8s.core.v1.Secret]:
        """Argo CD fetches Helm charts from OCI registries only from repositories declared `enableOCI`."""
        secrets = []
        for url in sorted({argocd_source(c)["repoURL"] for c in charts if c.repo.startswith("oci://")}):
            slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-")[:40].strip("-")
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-oci-{slug}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=f"helm-oci-{slug}",
                        namespace=NAMESPACE,
                        labels={**labels, "app.kubernetes.io/part-of": "argocd", "argocd.argoproj.io/secret-type": "repository"},
                    ),
                    type="Opaque",
                    # Public registries: no credentials, nothing secret here.
                    string_data={"name": f"oci-{slug}", "type": "helm", "url": url, "enableOCI": "true"},
                    opts=opts,
                )
            )
        return secrets

    def _repo_secret(
        self, name: str, repo: GitOpsRepo, labels: dict, password: pulumi.Input[str], opts: pulumi.ResourceOptions
    ) -> k8s.core.v1.Secret:
        """The GitOps repository's credentials, in the form Argo CD discovers by label."""
        return k8s.core.v1.Secret(
            f"{name}-repo-secret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=REPO_SECRET,
                namespace=NAMESPACE,
                labels={**labels, "app.kubernetes.io/part-of": "argocd", "argocd.argoproj.io/secret-type": "repository"},
            ),
            type="Opaque",
            string_data={
                "name": "gitops",
                "type": "git",
                "url": repo.url,
                "username": repo.username,
                "password": pulumi.Output.secret(password),
            },
            opts=opts,
        )
