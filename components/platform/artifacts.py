"""PlatformArtifacts: where the platform publishes what every application team runs on.

- Harbor project `platform` (private, scanned): the `platform-app` chart as an OCI artifact
  (`oci://harbor.<domain>/platform/platform-app`) and the `ci-tools` image the app pipeline runs in,
  both pushed and signed by the platform repository's pipeline (pipelines/platform/);
- robot `platform-ci` (push and pull in `platform`, and in `library` to add signatures to the
  mirrored images; nothing else), its credentials in Vault at
  `<kv>/platform/harbor-ci`, which only the platform pipeline's Vault role `platform-ci` may read;
- robot `argocd-pull` (pull in `platform` only) and Argo CD's repository credential for the OCI
  location `harbor.<domain>/platform` (`enableOCI`), so every tenant Application can fetch the chart.

Harbor's API must be configured (`harbor.configureApi`); without it nothing here is created and
the stack says so.
"""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault
import pulumiverse_harbor as harbor
from pydantic import Field

from components.model import K8sName
from components.platform.argocd import NAMESPACE as ARGOCD_NAMESPACE
from components.platform.chart import ServiceArgs, standard_labels
from components.platform.cosign import PLATFORM_ROBOT_PATH
from components.platform.harbor import LIBRARY, Harbor
from components.platform.service import PlatformContext, PlatformService
from components.platform.vault_config import VaultConfig

PUSH = (("repository", "pull"), ("repository", "push"), ("artifact", "read"), ("tag", "create"))
PULL = (("repository", "pull"),)


class PlatformArtifactsArgs(ServiceArgs):
    """The Harbor project of platform artifacts and who may push to and pull from it."""

    project: K8sName = Field("platform", description="Harbor project of the chart and the ci-tools image")
    storage_quota_gb: int = Field(20, ge=-1, description="-1: unlimited")


def repository_secret_name(url: str) -> str:
    return "helm-oci-" + re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-")[:40].strip("-")


class PlatformArtifacts(PlatformService):
    """Harbor project `platform`, its push and pull robots, and Argo CD's credential for it."""

    key = "artifacts"
    args_type = PlatformArtifactsArgs
    needs = {"harbor": "the registry the artifacts live in", "argocd": "the credential is Argo CD's"}

    chart_repo: str
    """OCI location of the platform charts as Argo CD names it (`harbor.<domain>/platform`)."""

    def __init__(
        self,
        name: str,
        args: PlatformArtifactsArgs,
        *,
        registry: Harbor,
        vault_config: VaultConfig | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:PlatformArtifacts", name, {}, opts)
        self.chart_repo = f"{registry.host}/{args.project}"
        if not registry.api_configured:
            pulumi.log.warn("harbor.configureApi is false: no Harbor project for platform artifacts and no "
                            "Argo CD credential for them; tenant applications cannot fetch the chart yet", self)
            self.register_outputs({"chartRepo": self.chart_repo})
            return
        provider = harbor.Provider(
            f"{name}-harbor",
            url=registry.url,
            username=registry.admin_username,
            password=registry.admin_password,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[registry]),
        )
        api = pulumi.ResourceOptions(parent=self, provider=provider)
        project = harbor.Project(
            f"{name}-project",
            name=args.project,
            public=False,
            vulnerability_scanning=True,
            storage_quota=args.storage_quota_gb,
            force_destroy=False,
            opts=api,
        )
        push = self._robot(name, "platform-ci", [project.name, LIBRARY], PUSH,
                           "platform pipeline: push charts and ci-tools, sign mirrored images", api, level="system")
        pull = self._robot(name, "argocd-pull", [project.name], PULL, "Argo CD: pull the platform charts", api)
        labels = standard_labels("argo-cd", "argocd", "platform-artifacts")
        k8s.core.v1.Secret(
            f"{name}-argocd-repository",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=repository_secret_name(self.chart_repo),
                namespace=ARGOCD_NAMESPACE,
                labels={**labels, "app.kubernetes.io/part-of": "argocd", "argocd.argoproj.io/secret-type": "repository"},
            ),
            type="Opaque",
            string_data={
                "name": f"{args.project}-charts",
                "type": "helm",
                "url": self.chart_repo,
                "enableOCI": "true",
                "username": pull.full_name,
                "password": pulumi.Output.secret(pull.secret),
            },
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stringData", "data"]),
        )
        if vault_config is not None:
            vault.kv.SecretV2(
                f"{name}-ci-credentials",
                mount=vault_config.kv_path,
                name=PLATFORM_ROBOT_PATH,
                data_json=pulumi.Output.secret(
                    pulumi.Output.all(push.full_name, push.secret).apply(
                        lambda v: json.dumps({"registry": registry.host, "username": v[0], "password": v[1]})
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=vault_config.provider, depends_on=vault_config.ready,
                                            additional_secret_outputs=["data_json", "data"]),
            )
        self.register_outputs({"chartRepo": self.chart_repo})

    def _robot(self, name, robot, projects, accesses, description, opts, level="project") -> harbor.RobotAccount:
        return harbor.RobotAccount(
            f"{name}-robot-{robot}",
            name=robot,
            level=level,
            description=description,
            duration=-1,
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace=project,
                    accesses=[harbor.RobotAccountPermissionAccessArgs(resource=r, action=a, effect="allow") for r, a in accesses],
                )
                for project in projects
            ],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["secret"])),
        )

    @classmethod
    def create(cls, name: str, args: PlatformArtifactsArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "PlatformArtifacts":
        registry, config = context.services["harbor"], context.get("vault_config")
        assert isinstance(registry, Harbor)
        return cls(name, args, registry=registry, vault_config=config if isinstance(config, VaultConfig) else None, opts=opts)

    def stack_outputs(self) -> dict:
        return {"chartRepository": self.chart_repo}
