"""RabbitMQ Cluster Operator: `RabbitmqCluster` brokers for the golden path's `rabbitmq`.

Upstream (rabbitmq/cluster-operator) publishes no Helm chart; its install is the release asset
`cluster-operator.yml`, built from `config/installation` at each tag. We apply exactly that file at a
pinned version (docs/adr/0017-rabbitmq-operator-release-manifest.md says why not the Bitnami chart):
Pulumi's `kubernetes:yaml/v2:ConfigFile` reads it at preview and apply time and owns every object in
it, so a version bump in config is a reviewed diff like a chart bump.

The manifest brings its own namespace `rabbitmq-system`, the `rabbitmq.com` CRDs, the operator
Deployment (requests and limits set upstream: 200m CPU, 500Mi memory) and webhook certificates
issued by cert-manager, hence the dependency.
"""

from __future__ import annotations

from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components.platform.chart import ServiceArgs
from components.platform.service import PlatformService

NAMESPACE = "rabbitmq-system"
RELEASES = "https://github.com/rabbitmq/cluster-operator/releases/download"
OPERATOR_IMAGE_REPOSITORY = "ghcr.io/rabbitmq/cluster-operator"
DEFAULT_RABBITMQ_IMAGE = "docker.io/library/rabbitmq:4.2.6-management"
"""The broker image operator v2.22.3 deploys when a RabbitmqCluster names none (`cmd/main.go`)."""


class RabbitMqOperatorArgs(ServiceArgs):
    """The operator release to apply."""

    version: str = Field("2.22.3", pattern=r"^\d+\.\d+\.\d+$", description="rabbitmq/cluster-operator release (tag without v)")

    @property
    def manifest_url(self) -> str:
        return f"{RELEASES}/v{self.version}/cluster-operator.yml"

    @property
    def operator_image(self) -> str:
        """The image the release manifest runs (the release workflow tags it with the bare version)."""
        return f"{OPERATOR_IMAGE_REPOSITORY}:{self.version}"


class RabbitMqOperator(PlatformService):
    """The upstream release manifest of the RabbitMQ Cluster Operator, applied as one unit."""

    key = "rabbitmq_operator"
    args_type = RabbitMqOperatorArgs
    namespace = NAMESPACE
    needs = {"cert_manager": "the operator's webhook certificates"}
    provides: ClassVar[tuple[str, ...]] = (f"namespace/{NAMESPACE}", "rabbitmq.com/RabbitmqCluster")

    manifest: str
    """URL of the applied release manifest."""
    ready: pulumi.Resource
    """Depend on this before creating RabbitmqCluster objects."""

    def __init__(self, name: str, args: RabbitMqOperatorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:RabbitMqOperator", name, {}, opts)
        self.manifest = args.manifest_url
        self.ready = k8s.yaml.v2.ConfigFile(
            f"{name}-manifest",
            file=self.manifest,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"manifest": self.manifest})
