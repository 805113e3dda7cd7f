"""Renovate: a nightly CronJob that keeps chart versions, images and pins current on Bitbucket Server.

The Bitbucket HTTP access token lives in Vault (`secret/platform/renovate`, property `token`) and
nowhere else: an ExternalSecret syncs it through the platform ClusterSecretStore `vault-platform`
(components/platform/external_secrets.py) into Secret `renovate-env` as `RENOVATE_TOKEN`, which the
chart passes to the job as environment (`existingSecret`). What Renovate updates in each repository
is that repository's `renovate.json` (this repository's is at the root).
"""

from __future__ import annotations

import json
from typing import Sequence

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, model_validator

from components.model import Resources, raise_path_errors
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.external_secrets import STORE_NAME
from components.platform.service import PlatformContext, PlatformService

NAMESPACE = "renovate"
ENV_SECRET = "renovate-env"
TOKEN_ENV = "RENOVATE_TOKEN"
RUN_AS_USER = 12021
"""The renovate image's non-root user (`ubuntu`, uid 12021)."""


class RenovateArgs(DeliveryArgs):
    """Renovate chart, Bitbucket Server endpoint and bot, schedule, token location in Vault."""

    chart: ChartRef = ChartRef(repo="oci://ghcr.io/renovatebot/charts", name="renovate", version="46.254.2")
    enabled: bool = Field(False, description="off unless configured: it needs the Bitbucket endpoint and a token in Vault")
    endpoint: str | None = Field(None, pattern=r"^https://\S+/$", description="Bitbucket Server base URL, with trailing slash")
    username: str = Field("renovate-bot", min_length=1)
    git_author: str = Field("Renovate Bot <renovate-bot@localhost>", pattern=r"^.+ <[^>]+>$")
    repositories: list[str] = Field(default_factory=list, description="PROJECT/repo; empty with autodiscover")
    autodiscover: bool = False
    autodiscover_filter: list[str] = Field(default_factory=list)
    schedule: str = Field("0 1 * * *", pattern=r"^(\S+\s+){4}\S+$", description="5-field cron")
    time_zone: str = "UTC"
    vault_key: str = Field("platform/renovate", description="KV v2 path under the platform store's mount")
    vault_property: str = "token"
    resources: Resources = Resources(requests_cpu="500m", requests_memory="1Gi", limits_memory="4Gi")

    @model_validator(mode="after")
    def _endpoint_when_enabled(self) -> "RenovateArgs":
        if self.enabled and self.endpoint is None:
            raise_path_errors([("endpoint", "required when Renovate is enabled (Bitbucket Server URL)")])
        return self


def renovate_config(args: RenovateArgs) -> dict:
    """Global self-hosted config; the token is not here (env RENOVATE_TOKEN)."""
    config: dict = {
        "platform": "bitbucket-server",
        "endpoint": args.endpoint,
        "username": args.username,
        "gitAuthor": args.git_author,
        "onboarding": True,
        "requireConfig": "required",
        "autodiscover": args.autodiscover,
    }
    if args.autodiscover_filter:
        config["autodiscoverFilter"] = list(args.autodiscover_filter)
    if args.repositories:
        config["repositories"] = list(args.repositories)
    return config


def renovate_values(args: RenovateArgs) -> dict:
    return {
        "cronjob": {
            "schedule": args.schedule,
            "timeZone": args.time_zone,
            "concurrencyPolicy": "Forbid",
            "jobBackoffLimit": 1,
            "activeDeadlineSeconds": 3 * 3600,
        },
        "renovate": {"config": json.dumps(renovate_config(args), indent=2)},
        "existingSecret": ENV_SECRET,
        "resources": args.resources.to_k8s(),
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": 0,
            "fsGroup": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }


def token_external_secret_spec(args: RenovateArgs) -> dict:
    return {
        "refreshInterval": "1h",
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
        "target": {"name": ENV_SECRET, "creationPolicy": "Owner"},
        "data": [{"secretKey": TOKEN_ENV, "remoteRef": {"key": args.vault_key, "property": args.vault_property}}],
    }


class Renovate(PlatformService):
    """The Renovate chart (a CronJob) and the ExternalSecret that brings its token from Vault."""

    key = "renovate"
    args_type = RenovateArgs
    namespace = NAMESPACE
    release = "renovate"
    needs = {"external_secrets": "its token comes from Vault"}

    def __init__(
        self,
        name: str,
        args: RenovateArgs,
        *,
        secret_store: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`secret_store`: what makes the `vault-platform` store usable (ESO and its store)."""
        super().__init__("idp:platform:Renovate", name, {}, opts)
        chart = self._chart(name, args, renovate_values(args))
        # The CronJob's first run is hours away; the Secret only has to exist by then.
        k8s.apiextensions.CustomResource(
            f"{name}-token",
            api_version="external-secrets.io/v1",
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ENV_SECRET, namespace=NAMESPACE, labels=standard_labels("renovate", "renovate", args.chart.version)
            ),
            spec=token_external_secret_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, *secret_store]),
        )
        self.register_outputs({})

    @classmethod
    def create(cls, name: str, args: RenovateArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Renovate":
        # The token comes from Vault through ESO's `vault-platform` store.
        eso = context.get("external_secrets")
        return cls(name, args, secret_store=[eso] if eso else [], opts=opts)
