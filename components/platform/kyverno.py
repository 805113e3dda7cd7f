"""Kyverno and the platform's four ClusterPolicies.

The chart runs the admission, background (generate rules), cleanup and reports controllers. The
policies come from `policies/kyverno/*/policy.yaml` -- the same files the `kyverno test` suites
run against -- with the Harbor registry host and the cosign public key substituted
(`kyverno_policies.render_policy`). They depend on the chart (the ClusterPolicy CRD and the
webhooks must exist) and, through the key, on the cosign key pair.
"""

from __future__ import annotations

import re
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs, PlatformChart, PlatformChartArgs, standard_labels
from components.platform.kyverno_policies import POLICY_NAMES, load_policy, needs_cosign_key, render_policy

NAMESPACE = "kyverno"
RELEASE = "kyverno"


class KyvernoArgs(DeliveryArgs):
    """The Kyverno chart and what the policies need from the environment."""

    chart: ChartRef = ChartRef(repo="https://kyverno.github.io/kyverno/", name="kyverno", version="3.9.0")
    delivery: Literal["helm", "argocd"] = "argocd"
    harbor_registry: str | None = Field(
        None, description="registry host signed images must come from; default harbor.<idp:global.domain>"
    )
    admission_replicas: int = Field(3, ge=1, description="3 for HA (the chart adds a PDB above 1)")
    policies: list[str] = Field(default_factory=lambda: list(POLICY_NAMES), description="policies to apply")
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


class Kyverno(pulumi.ComponentResource):
    """Kyverno chart plus the ClusterPolicies of `policies/kyverno/`."""

    policy_names: list[str]
    """Names of the ClusterPolicies applied."""

    def __init__(
        self,
        name: str,
        args: KyvernoArgs,
        *,
        domain: str,
        cosign_public_key: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Kyverno", name, {}, opts)
        chart = PlatformChart(
            f"{name}-chart",
            PlatformChartArgs(
                chart=args.chart,
                namespace=NAMESPACE,
                release_name=RELEASE,
                values=kyverno_values(args),
                delivery=args.delivery,
                sync_wave=args.sync_wave,
                pod_security="restricted",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        registry = args.registry(domain)
        labels = standard_labels("kyverno", RELEASE, args.chart.version)
        self.policy_names = []
        for policy_name in args.policies:
            source = load_policy(policy_name)
            if needs_cosign_key(source):
                if cosign_public_key is None:
                    raise ValueError(f"policy {policy_name} needs the cosign public key: enable cosign or drop the policy")
                spec = pulumi.Output.from_input(cosign_public_key).apply(
                    lambda key, src=source: render_policy(src, harbor_registry=registry, cosign_public_key=key)["spec"]
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
                opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready]),
            )
            self.policy_names.append(policy_name)
        self.register_outputs({"policyNames": self.policy_names})
