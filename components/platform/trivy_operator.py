"""Trivy Operator: continuous vulnerability and configuration scanning, with metrics and a dashboard.

The operator scans every workload's images and writes VulnerabilityReports; it also exposes the
findings as Prometheus metrics (`trivy_image_vulnerabilities{namespace, resource_kind,
resource_name, severity, ...}`). A `VMServiceScrape` (VictoriaMetrics operator) scrapes them, and a
Grafana dashboard shipped as a ConfigMap -- picked up by Grafana's dashboard sidecar through the
`grafana_dashboard: "1"` label -- shows CVEs by severity per namespace and per workload.

The namespace is `privileged`: the node-collector jobs of the infrastructure assessment mount
host paths, which the `baseline` level Talos enforces by default forbids.
"""

from __future__ import annotations

import json
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components.model import K8sName, Resources
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.service import PlatformService

NAMESPACE = "trivy-system"
RELEASE = "trivy-operator"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
METRIC = "trivy_image_vulnerabilities"


class TrivyOperatorArgs(DeliveryArgs):
    """The Trivy Operator chart, its scan limits, metrics scraping and the dashboard."""

    chart: ChartRef = ChartRef(
        repo="https://aquasecurity.github.io/helm-charts/", name="trivy-operator", version="0.34.0"
    )
    delivery: Literal["helm", "argocd"] = "argocd"
    scan_jobs_concurrent_limit: int = Field(3, ge=1, description="scan jobs at once (2-core lab nodes)")
    scan_job_timeout: str = Field("5m", pattern=r"^\d+[smh]$")
    severities: list[Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]] = Field(
        default_factory=lambda: list(SEVERITIES), min_length=1
    )
    ignore_unfixed: bool = False
    db_registry: str | None = Field(None, description="mirror of the Trivy DB for air-gapped labs (Harbor proxy)")
    scrape_interval: str = Field("60s", pattern=r"^\d+[smh]$")
    dashboard_namespace: K8sName = "monitoring"
    operator_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    scanner_resources: Resources = Resources(
        requests_cpu="100m", requests_memory="128Mi", limits_cpu="500m", limits_memory="1Gi"
    )


def trivy_values(args: TrivyOperatorArgs) -> dict:
    trivy: dict = {
        "severity": ",".join(args.severities),
        "ignoreUnfixed": args.ignore_unfixed,
        "resources": args.scanner_resources.to_k8s(),
    }
    if args.db_registry:
        trivy["dbRegistry"] = args.db_registry
        trivy["javaDbRegistry"] = args.db_registry
    return {
        "resources": args.operator_resources.to_k8s(),
        "operator": {
            "scanJobsConcurrentLimit": args.scan_jobs_concurrent_limit,
            "scanJobTimeout": args.scan_job_timeout,
            "metricsFindingsEnabled": True,
            "metricsVulnIdEnabled": False,
            "vulnerabilityScannerEnabled": True,
            "configAuditScannerEnabled": True,
            "exposedSecretScannerEnabled": True,
        },
        "trivy": trivy,
        # Scraped by the VMServiceScrape below, not a prometheus-operator ServiceMonitor.
        "serviceMonitor": {"enabled": False},
    }


def _panel(panel_id: int, title: str, kind: str, expr: str, legend: str, grid: dict, **extra) -> dict:
    return {
        "id": panel_id,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": grid,
        "targets": [{"refId": "A", "expr": expr, "legendFormat": legend, **extra.pop("target", {})}],
        **extra,
    }


def dashboard() -> dict:
    """Grafana dashboard: CVEs by severity, per namespace and per workload."""
    selector = f'{METRIC}{{namespace=~"$namespace"}}'
    severity_colors = {"CRITICAL": "dark-red", "HIGH": "red", "MEDIUM": "orange", "LOW": "yellow", "UNKNOWN": "gray"}
    stats = [
        _panel(
            i + 1,
            f"{sev.title()} CVEs",
            "stat",
            f'sum({METRIC}{{namespace=~"$namespace", severity="{sev.title()}"}}) or vector(0)',
            sev,
            {"x": i * 4, "y": 0, "w": 4, "h": 4},
            fieldConfig={"defaults": {"color": {"mode": "fixed", "fixedColor": severity_colors[sev]}}},
        )
        for i, sev in enumerate(SEVERITIES)
    ]
    by_namespace = _panel(
        10,
        "CVEs by severity per namespace",
        "barchart",
        f"sum by (namespace, severity) ({selector})",
        "{{namespace}} {{severity}}",
        {"x": 0, "y": 4, "w": 24, "h": 9},
        target={"format": "table", "instant": True},
        transformations=[{"id": "groupingToMatrix", "options": {"columnField": "severity", "rowField": "namespace", "valueField": "Value"}}],
        options={"stacking": "normal", "xField": "namespace\\severity"},
    )
    by_workload = _panel(
        11,
        "CVEs by severity per workload",
        "table",
        f"sum by (namespace, resource_kind, resource_name, severity) ({selector})",
        "",
        {"x": 0, "y": 13, "w": 24, "h": 12},
        target={"format": "table", "instant": True},
        transformations=[
            {
                "id": "groupingToMatrix",
                "options": {"columnField": "severity", "rowField": "resource_name", "valueField": "Value"},
            }
        ],
    )
    over_time = _panel(
        12,
        "CVEs over time by severity",
        "timeseries",
        f"sum by (severity) ({selector})",
        "{{severity}}",
        {"x": 0, "y": 25, "w": 24, "h": 8},
    )
    return {
        "uid": "idp-trivy-security",
        "title": "Security: vulnerabilities (Trivy)",
        "tags": ["idp", "security", "trivy"],
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "5m",
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
                {
                    "name": "namespace",
                    "type": "query",
                    "label": "Namespace",
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "query": {"query": f"label_values({METRIC}, namespace)", "refId": "namespaces"},
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                },
            ]
        },
        "panels": [*stats, by_namespace, by_workload, over_time],
    }


class TrivyOperator(PlatformService):
    """Trivy Operator chart, its metrics scrape and the security dashboard ConfigMap."""

    key = "trivy_operator"
    args_type = TrivyOperatorArgs
    namespace = NAMESPACE
    # Node-collector jobs mount host paths (see the module docstring).
    pod_security = "privileged"
    release = RELEASE
    provides = (
        "aquasecurity.github.io/VulnerabilityReport",
        "aquasecurity.github.io/ConfigAuditReport",
        "aquasecurity.github.io/ExposedSecretReport",
        "aquasecurity.github.io/RbacAssessmentReport",
        "aquasecurity.github.io/InfraAssessmentReport",
        "aquasecurity.github.io/ClusterComplianceReport",
    )

    dashboard_uid: str
    """UID of the Grafana dashboard."""

    def __init__(self, name: str, args: TrivyOperatorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:TrivyOperator", name, {}, opts)
        chart = self._chart(name, args, trivy_values(args))
        labels = standard_labels("trivy-operator", RELEASE, args.chart.version)
        k8s.apiextensions.CustomResource(
            f"{name}-scrape",
            api_version="operator.victoriametrics.com/v1beta1",
            kind="VMServiceScrape",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=RELEASE, namespace=NAMESPACE, labels=labels),
            spec={
                "selector": {"matchLabels": {"app.kubernetes.io/name": "trivy-operator"}},
                "namespaceSelector": {"matchNames": [NAMESPACE]},
                "endpoints": [{"port": "metrics", "path": "/metrics", "interval": args.scrape_interval}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready]),
        )
        board = dashboard()
        k8s.core.v1.ConfigMap(
            f"{name}-dashboard",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="grafana-dashboard-trivy-security",
                namespace=args.dashboard_namespace,
                labels={**labels, "grafana_dashboard": "1"},
                annotations={"grafana_folder": "Security"},
            ),
            data={"trivy-security.json": json.dumps(board, indent=1, sort_keys=True)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_uid = board["uid"]
        self.register_outputs({"dashboardUid": self.dashboard_uid})
