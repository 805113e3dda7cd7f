"""VictoriaLogs single: the platform's log store, in namespace `logging`.

One StatefulSet with `retention` (7 days by default) on a Longhorn volume, Service
`victoria-logs:9428` (`server.fullnameOverride`). Container logs arrive from the collector
DaemonSet (logs_collector.py), the API audit log from Vector (vector.py); Grafana queries it
through the VictoriaLogs datasource. vmagent scrapes its metrics through the chart's
VMServiceScrape.

The namespace is `privileged` because the collector and Vector in it mount host paths
(`/var/log`, `/var/lib`) and keep their state in hostPath directories; VictoriaLogs itself needs
no host access.
"""

from __future__ import annotations

from typing import Literal

import pulumi
from pydantic import Field

from components.model import K8sName, Resources
from components.platform.chart import ChartRef, DeliveryArgs
from components.platform.service import PlatformContext, PlatformService
from components.platform.victoria_metrics import storage_needs

NAMESPACE = "logging"
RELEASE = "victoria-logs"
FULLNAME = "victoria-logs"
PORT = 9428
URL = f"http://{FULLNAME}.{NAMESPACE}.svc:{PORT}"
"""Ingestion and query endpoint inside the cluster."""


class VictoriaLogsArgs(DeliveryArgs):
    """The victoria-logs-single chart: retention, volume, resources."""

    chart: ChartRef = ChartRef(repo="https://victoriametrics.github.io/helm-charts/", name="victoria-logs-single", version="0.13.9")
    delivery: Literal["helm", "argocd"] = "argocd"
    sync_wave: int = 5
    retention: str = Field("7d", pattern=r"^\d+[hdwy]$", description="retentionPeriod with its unit (a bare number would mean months)")
    max_disk_usage_gi: int | None = Field(None, ge=1, description="also drop the oldest logs above this size")
    storage_size_gi: int = Field(20, ge=1)
    storage_class: K8sName = "longhorn"
    resources: Resources = Resources(requests_cpu="50m", requests_memory="192Mi", limits_memory="1Gi")


def victoria_logs_values(args: VictoriaLogsArgs, *, scrape: bool) -> dict:
    """Values of victoria-logs-single 0.13.9 (keys checked against its values.yaml)."""
    server: dict = {
        "fullnameOverride": FULLNAME,
        "replicaCount": 1,
        "retentionPeriod": args.retention,
        "resources": args.resources.to_k8s(),
        "persistentVolume": {
            "enabled": True,
            "storageClassName": args.storage_class,
            "accessModes": ["ReadWriteOnce"],
            "size": f"{args.storage_size_gi}Gi",
        },
        "vmServiceScrape": {"enabled": scrape},
    }
    if args.max_disk_usage_gi:
        server["retentionDiskSpaceUsage"] = f"{args.max_disk_usage_gi}GiB"
    return {"server": server, "vector": {"enabled": False}}


class VictoriaLogs(PlatformService):
    """The victoria-logs-single chart."""

    key = "victoria_logs"
    args_type = VictoriaLogsArgs
    namespace = NAMESPACE
    # The collector and Vector in this namespace mount host paths (see the module docstring).
    pod_security = "privileged"
    release = RELEASE

    url: str
    """Ingestion and query endpoint inside the cluster."""

    @classmethod
    def requires(cls, args: VictoriaLogsArgs) -> dict[str, str]:
        return {**super().requires(args), **storage_needs(args.storage_class)}

    def __init__(self, name: str, args: VictoriaLogsArgs, *, scrape: bool = False, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:VictoriaLogs", name, {}, opts)
        self._chart(name, args, victoria_logs_values(args, scrape=scrape))
        self.url = URL
        self.register_outputs({"url": self.url})

    @classmethod
    def create(cls, name: str, args: VictoriaLogsArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> VictoriaLogs:
        # Its VMServiceScrape needs the operator's CRDs: only with the VictoriaMetrics stack, after it.
        stack = context.get("victoria_metrics")
        if stack is not None:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[stack]))
        return cls(name, args, scrape=stack is not None, opts=opts)
