"""CloudNativePG and its Barman Cloud plugin: PostgreSQL for the golden path, with backups to S3.

The base chart's `database` renders a CloudNativePG `Cluster` whose WAL archive and base backups go
through the Barman Cloud plugin (`barman-cloud.cloudnative-pg.io`) to the `ObjectStore` of the
project namespace (created per namespace by the projects layer, components/tenant/backups.py).
This service installs what those objects need: the operator (CRDs `postgresql.cnpg.io`) and, in the
same namespace as the plugin requires, the plugin (CRD `barmancloud.cnpg.io/ObjectStore`; its gRPC
certificates come from cert-manager, hence the dependency).

Both charts come from https://cloudnative-pg.github.io/charts: `cloudnative-pg` 0.29.0 (operator
1.30.0) and `plugin-barman-cloud` 0.7.0 (plugin v0.13.0).
"""

from __future__ import annotations

from typing import ClassVar

import pulumi
from pydantic import Field

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs, PlatformChart, PlatformChartArgs
from components.platform.service import PlatformService

NAMESPACE = "cnpg-system"
PLUGIN = "barman-cloud.cloudnative-pg.io"
"""The plugin name Cluster, Backup and ScheduledBackup objects refer to."""
OPERATOR_IMAGE = "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0"
PLUGIN_IMAGE = "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.13.0"
SIDECAR_IMAGE = "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.13.0"
IMAGES = (OPERATOR_IMAGE, PLUGIN_IMAGE, SIDECAR_IMAGE)
"""Images the operator and the plugin run; the operator image and the sidecar also run in every
database pod of a project namespace (init container `bootstrap-controller`, sidecar `plugin-barman-cloud`)."""


def _split(image: str) -> tuple[str, str, str]:
    registry, _, rest = image.partition("/")
    repository, _, tag = rest.rpartition(":")
    return registry, repository, tag


class CloudNativePgArgs(DeliveryArgs):
    """Operator and plugin charts, replicas and resources, and where their images are pulled from."""

    chart: ChartRef = ChartRef(repo="https://cloudnative-pg.github.io/charts", name="cloudnative-pg", version="0.29.0")
    plugin_chart: ChartRef = ChartRef(repo="https://cloudnative-pg.github.io/charts", name="plugin-barman-cloud", version="0.7.0")
    replicas: int = Field(1, ge=1, description="operator replicas (leader election)")
    resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    plugin_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    image_registry: str | None = Field(
        None,
        pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*$",
        description="pull the operator, plugin and sidecar images from this registry path (the Harbor mirror, "
        "e.g. harbor.<domain>/library) instead of ghcr.io; project namespaces admit only Harbor images",
    )
    project_image_registry: str | None = Field(
        None,
        pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*$",
        description="registry path of the images the operator and the plugin put into database pods (the "
        "`bootstrap-controller` init container, the Barman Cloud sidecar), e.g. harbor.<domain>/library; the "
        "operator and plugin themselves keep pulling from `image_registry` (default ghcr.io), so their first "
        "install never waits for Harbor's mirror replication. Defaults to `image_registry`.",
    )


def _image(args: CloudNativePgArgs, image: str, *, in_projects: bool = False) -> tuple[str, str, str]:
    """(registry, repository, tag), from the mirror when configured (Harbor flattens to `library/<name>`).

    `in_projects`: the image runs in database pods of project namespaces (`project_image_registry`)."""
    registry, repository, tag = _split(image)
    mirror = (args.project_image_registry or args.image_registry) if in_projects else args.image_registry
    if mirror:
        head, _, path = mirror.partition("/")
        return head, "/".join(p for p in (path, repository.rsplit("/", 1)[-1]) if p), tag
    return registry, repository, tag


def operator_values(args: CloudNativePgArgs) -> dict:
    """Keys as in cloudnative-pg/charts `charts/cloudnative-pg/values.yaml` at cloudnative-pg-v0.29.0."""
    registry, repository, tag = _image(args, OPERATOR_IMAGE)
    values: dict = {
        "replicaCount": args.replicas,
        "image": {"repository": f"{registry}/{repository}", "tag": tag},
        "crds": {"create": True},
        "resources": args.resources.to_k8s(),
        "monitoring": {"podMonitorEnabled": False, "grafanaDashboard": {"create": False}},
    }
    if bootstrap_image(args) != f"{registry}/{repository}:{tag}":
        # The operator reads OPERATOR_IMAGE_NAME (the image of every instance's `bootstrap-controller`
        # init container) from its ConfigMap `cnpg-controller-manager-config` before its environment.
        values["config"] = {"data": {"OPERATOR_IMAGE_NAME": bootstrap_image(args)}}
    return values


def bootstrap_image(args: CloudNativePgArgs) -> str:
    """The operator image as database pods run it (init container `bootstrap-controller`)."""
    registry, repository, tag = _image(args, OPERATOR_IMAGE, in_projects=True)
    return f"{registry}/{repository}:{tag}"


def sidecar_image(args: CloudNativePgArgs) -> str:
    """The Barman Cloud sidecar as database pods run it (container `plugin-barman-cloud`)."""
    registry, repository, tag = _image(args, SIDECAR_IMAGE, in_projects=True)
    return f"{registry}/{repository}:{tag}"


def plugin_values(args: CloudNativePgArgs) -> dict:
    """Keys as in `charts/plugin-barman-cloud/values.yaml` at plugin-barman-cloud-v0.7.0."""
    registry, repository, tag = _image(args, PLUGIN_IMAGE)
    sidecar_registry, sidecar_repository, sidecar_tag = _image(args, SIDECAR_IMAGE, in_projects=True)
    return {
        "image": {"registry": registry, "repository": repository, "tag": tag},
        "sidecarImage": {"registry": sidecar_registry, "repository": sidecar_repository, "tag": sidecar_tag},
        "crds": {"create": True},
        "resources": args.plugin_resources.to_k8s(),
    }


class CloudNativePg(PlatformService):
    """The CloudNativePG operator chart, then the Barman Cloud plugin chart in the same namespace."""

    key = "cloudnative_pg"
    args_type = CloudNativePgArgs
    namespace = NAMESPACE
    release = "cloudnative-pg"
    needs = {"cert_manager": "the Barman Cloud plugin's certificates"}
    provides: ClassVar[tuple[str, ...]] = (
        *(
            f"postgresql.cnpg.io/{kind}"
            for kind in (
                "Cluster", "Backup", "ScheduledBackup", "Pooler", "Database", "Publication", "Subscription",
                "ClusterImageCatalog", "ImageCatalog", "FailoverQuorum",
            )
        ),
        "barmancloud.cnpg.io/ObjectStore",
    )

    plugin: str
    """Name of the backup plugin for Cluster `spec.plugins` and ScheduledBackup `pluginConfiguration`."""
    ready: pulumi.Resource
    """The plugin's chart: ObjectStores and database clusters come after it."""

    def __init__(self, name: str, args: CloudNativePgArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:CloudNativePg", name, {}, opts)
        operator = self._chart(name, args, operator_values(args))
        plugin = PlatformChart(
            f"{name}-plugin-chart",
            PlatformChartArgs(
                chart=args.plugin_chart,
                namespace=NAMESPACE,
                release_name="plugin-barman-cloud",
                values=plugin_values(args),
                delivery=args.delivery,
                sync_wave=args.sync_wave + 1,
                pod_security=self.pod_security,
                create_namespace=False,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator.ready]),
        )
        self.plugin = PLUGIN
        self.ready = plugin.ready
        self.register_outputs({"plugin": self.plugin})
