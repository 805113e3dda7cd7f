"""Kyverno and the platform's four ClusterPolicies.

The chart runs the admission, background (generate rules), cleanup and reports controllers. The
policies come from `policies/kyverno/*/policy.yaml` -- the same files the `kyverno test` suites
run against -- with the Harbor registry host and the cosign public key substituted
(`kyverno_policies.render_policy`). They depend on the chart (the ClusterPolicy CRD and the
webhooks must exist) and, through the key, on the cosign key pair.

Tenant Harbor projects are private, so Kyverno needs credentials to read signatures: with Harbor
in the stack, a system-level Harbor robot account (pull on every project, nothing else) is created
and written as the docker-config Secret `harbor-kyverno-pull` in Kyverno's namespace, which the
signature rule names in `imageRegistryCredentials`.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Literal, Protocol

import pulumi
import pulumi_kubernetes as k8s
import pulumiverse_harbor as harbor
from pydantic import Field, field_validator

from components.model import K8sName, Resources
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.cosign import Cosign
from components.platform.harbor import Harbor
from components.platform.service import PlatformContext, PlatformService
from components.platform.kyverno_policies import POLICY_NAMES, load_policy, needs_cosign_key, render_policy

NAMESPACE = "kyverno"
RELEASE = "kyverno"
SIGNATURE_POLICY = "verify-image-signatures"
"""The policy that needs the cosign public key."""


class KyvernoArgs(DeliveryArgs):
    """The Kyverno chart and what the policies need from the environment."""

    chart: ChartRef = ChartRef(repo="https://kyverno.github.io/kyverno/", name="kyverno", version="3.9.0")
    delivery: Literal["helm", "argocd"] = "argocd"
    harbor_registry: str | None = Field(
        None, description="registry host signed images must come from; default harbor.<idp:global.domain>"
    )
    admission_replicas: int = Field(3, ge=1, description="3 for HA (the chart adds a PDB above 1)")
    policies: list[str] = Field(default_factory=lambda: list(POLICY_NAMES), description="policies to apply")
    registry_pull_secret: K8sName = Field(
        "harbor-kyverno-pull", description="Secret in the kyverno namespace with a Harbor robot that can pull"
    )
    admission_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="768Mi")
    background_resources: Resources = Resources(requests_cpu="100m", requests_memory="128Mi", limits_memory="512Mi")
    cleanup_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    reports_resources: Resources = Resources(requests_cpu="100m", requests_memory="128Mi", limits_memory="512Mi")

    @field_validator("harbor_registry")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?", value):
            raise ValueError(f"{value!r} must be a registry host (optionally :port), without scheme or path")
        return value

    @field_validator("policies")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(POLICY_NAMES))
        if unknown:
            raise ValueError(f"unknown policies {unknown}; known: {list(POLICY_NAMES)}")
        return value

    def registry(self, domain: str) -> str:
        return self.harbor_registry or f"harbor.{domain}"


def kyverno_values(args: KyvernoArgs) -> dict:
    return {
        "admissionController": {
            "replicas": args.admission_replicas,
            "container": {"resources": args.admission_resources.to_k8s()},
        },
        "backgroundController": {"enabled": True, "resources": args.background_resources.to_k8s()},
        "cleanupController": {"resources": args.cleanup_resources.to_k8s()},
        "reportsController": {"resources": args.reports_resources.to_k8s()},
    }


class HarborAccess(Protocol):
    """What Kyverno needs from the Harbor component to create its read-only robot account."""

    url: str
    admin_username: str
    admin_password: pulumi.Output[str]


def docker_config(registry: str, username: str, password: str) -> str:
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry: {"username": username, "password": password, "auth": auth}}})


class Kyverno(PlatformService):
    """Kyverno chart plus the ClusterPolicies of `policies/kyverno/`."""

    key = "kyverno"
    args_type = KyvernoArgs
    namespace = NAMESPACE
    release = RELEASE
    provides = (
        "kyverno.io/ClusterPolicy",
        "kyverno.io/Policy",
        "kyverno.io/ClusterCleanupPolicy",
        "kyverno.io/CleanupPolicy",
        "kyverno.io/PolicyException",
    )

    policy_names: list[str]
    """Names of the ClusterPolicies applied."""

    def __init__(
        self,
        name: str,
        args: KyvernoArgs,
        *,
        domain: str,
        cosign_public_key: pulumi.Input[str] | None,
        harbor_access: HarborAccess | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Kyverno", name, {}, opts)
        chart = self._chart(name, args, kyverno_values(args))
        registry = args.registry(domain)
        labels = standard_labels("kyverno", RELEASE, args.chart.version)
        pull_secret = None
        if harbor_access is not None:
            pull_secret = self._pull_secret(name, args, registry, harbor_access, labels, chart.ready)
        self.policy_names = []
        for policy_name in args.policies:
            source = load_policy(policy_name)
            if needs_cosign_key(source):
                if cosign_public_key is None:
                    raise ValueError(f"policy {policy_name} needs the cosign public key: enable cosign or drop the policy")
                secret_name = args.registry_pull_secret if pull_secret is not None else None
                spec = pulumi.Output.from_input(cosign_public_key).apply(
                    lambda key, src=source: render_policy(
                        src, harbor_registry=registry, cosign_public_key=key, registry_secret=secret_name
                    )["spec"]
                )
            else:
                spec = render_policy(source, harbor_registry=registry)["spec"]
            k8s.apiextensions.CustomResource(
                f"{name}-{policy_name}",
                api_version="kyverno.io/v1",
                kind="ClusterPolicy",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=policy_name,
                    labels={**labels, "app.kubernetes.io/component": "policy"},
                    annotations=source["metadata"].get("annotations", {}),
                ),
                spec=spec,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[chart.ready] + ([pull_secret] if pull_secret is not None else [])
                ),
            )
            self.policy_names.append(policy_name)
        self.register_outputs({"policyNames": self.policy_names})

    @classmethod
    def create(cls, name: str, args: KyvernoArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Kyverno":
        cosign, harbor_service = context.get("cosign"), context.get("harbor")
        return cls(
            name,
            args,
            domain=context.domain,
            cosign_public_key=cosign.public_key if isinstance(cosign, Cosign) else None,
            # Harbor's API answers only once configured (`harbor.configureApi`).
            harbor_access=harbor_service if isinstance(harbor_service, Harbor) and harbor_service.api_configured else None,
            opts=opts,
        )

    def _pull_secret(self, name, args: KyvernoArgs, registry: str, access: HarborAccess, labels, ready):
        provider = harbor.Provider(
            f"{name}-harbor",
            url=access.url,
            username=access.admin_username,
            password=access.admin_password,
            # Harbor must be up and configured: depending on its component waits for all of it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access] if isinstance(access, pulumi.Resource) else []),
        )
        robot = harbor.RobotAccount(
            f"{name}-robot",
            name="kyverno-verify",
            level="system",
            description="Kyverno: reads image signatures from every project (pull only)",
            duration=-1,
            permissions=[
                harbor.RobotAccountPermissionArgs(
                    kind="project",
                    namespace="*",
                    accesses=[harbor.RobotAccountPermissionAccessArgs(resource="repository", action="pull", effect="allow")],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, provider=provider, additional_secret_outputs=["secret"]),
        )
        config = pulumi.Output.all(robot.full_name, robot.secret).apply(lambda v: docker_config(registry, v[0], v[1]))
        return k8s.core.v1.Secret(
            f"{name}-pull-secret",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.registry_pull_secret, namespace=NAMESPACE, labels=labels),
            type="kubernetes.io/dockerconfigjson",
            string_data={".dockerconfigjson": pulumi.Output.secret(config)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ready], additional_secret_outputs=["stringData", "data"]),
        )
