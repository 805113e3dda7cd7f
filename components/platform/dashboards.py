"""Grafana dashboards of the platform, shipped in this repository (never downloaded at deploy time).

Each function returns one dashboard model (Grafana JSON, schemaVersion 39). The Grafana service
writes them as ConfigMaps labelled `grafana_dashboard: "1"`, which Grafana's dashboard sidecar
loads into the folder named by the `grafana_folder` annotation. The queries read what vmagent
scrapes: node-exporter, kube-state-metrics, cAdvisor, the API server, and the components' own
metrics (Traefik, Longhorn, Argo CD, cert-manager); the security dashboard is the Trivy
operator's (`components/platform/trivy_operator.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from components.platform.trivy_operator import dashboard as trivy_dashboard

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
DATASOURCE_VARIABLE = {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"}


def _panel(panel_id: int, title: str, kind: str, targets: list[tuple[str, str]], grid: tuple[int, int, int, int], unit: str = "", **extra) -> dict:
    x, y, w, h = grid
    panel = {
        "id": panel_id,
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend, "datasource": DATASOURCE}
            for i, (expr, legend) in enumerate(targets)
        ],
        **extra,
    }
    if unit:
        panel["fieldConfig"] = {"defaults": {"unit": unit}, "overrides": []}
    return panel


def _dashboard(uid: str, title: str, tags: list[str], panels: list[dict], variables: tuple[dict, ...] | list[dict] = ()) -> dict:
    return {
        "uid": uid,
        "title": title,
        "tags": ["idp", *tags],
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {"list": [DATASOURCE_VARIABLE, *variables]},
        "panels": panels,
    }


def _query_variable(name: str, label: str, query: str) -> dict:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": name},
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "refresh": 2,
    }


def cluster_health() -> dict:
    """Nodes, capacity against requests, API server and etcd: is the cluster itself well?"""
    panels = [
        _panel(1, "Nodes ready", "stat", [('sum(kube_node_status_condition{condition="Ready", status="true"})', "ready")], (0, 0, 4, 4)),
        _panel(2, "Nodes not ready", "stat", [('sum(kube_node_status_condition{condition="Ready", status="true"} == 0) or vector(0)', "not ready")], (4, 0, 4, 4)),
        _panel(3, "Pods not running", "stat", [('sum(kube_pod_status_phase{phase=~"Pending|Failed|Unknown"})', "pods")], (8, 0, 4, 4)),
        _panel(4, "Firing alerts", "stat", [('count(ALERTS{alertstate="firing"}) or vector(0)', "alerts")], (12, 0, 4, 4)),
        _panel(5, "CPU requested / allocatable", "gauge", [('sum(kube_pod_container_resource_requests{resource="cpu"}) / sum(kube_node_status_allocatable{resource="cpu"})', "cpu")], (16, 0, 4, 4), unit="percentunit"),
        _panel(6, "Memory requested / allocatable", "gauge", [('sum(kube_pod_container_resource_requests{resource="memory"}) / sum(kube_node_status_allocatable{resource="memory"})', "memory")], (20, 0, 4, 4), unit="percentunit"),
        _panel(7, "CPU usage per node", "timeseries", [('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', "{{instance}}")], (0, 4, 12, 8), unit="percentunit"),
        _panel(8, "Memory usage per node", "timeseries", [("1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "{{instance}}")], (12, 4, 12, 8), unit="percentunit"),
        _panel(9, "Root filesystem free per node", "bargauge", [('node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}', "{{instance}}")], (0, 12, 12, 8), unit="percentunit"),
        _panel(10, "API server requests by code", "timeseries", [("sum by (code) (rate(apiserver_request_total[5m]))", "{{code}}")], (12, 12, 12, 8), unit="reqps"),
        _panel(11, "etcd leader changes (1h)", "stat", [("sum(increase(etcd_server_leader_changes_seen_total[1h]))", "changes")], (0, 20, 6, 4)),
        _panel(12, "etcd database size", "timeseries", [("etcd_mvcc_db_total_size_in_bytes", "{{instance}}")], (6, 20, 18, 8), unit="bytes"),
    ]
    return _dashboard("idp-cluster-health", "Cluster health", ["cluster"], panels)


def workloads_per_namespace() -> dict:
    """CPU, memory, restarts and requests of the workloads of the namespaces chosen."""
    sel = 'namespace=~"$namespace"'
    panels = [
        _panel(1, "CPU usage by pod", "timeseries", [(f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{sel}, container!=""}}[5m]))', "{{pod}}")], (0, 0, 12, 9), unit="cores"),
        _panel(2, "Memory working set by pod", "timeseries", [(f'sum by (pod) (container_memory_working_set_bytes{{{sel}, container!=""}})', "{{pod}}")], (12, 0, 12, 9), unit="bytes"),
        _panel(3, "CPU usage / requests by namespace", "bargauge", [(f'sum by (namespace) (rate(container_cpu_usage_seconds_total{{{sel}, container!=""}}[5m])) / sum by (namespace) (kube_pod_container_resource_requests{{{sel}, resource="cpu"}})', "{{namespace}}")], (0, 9, 12, 8), unit="percentunit"),
        _panel(4, "Memory usage / requests by namespace", "bargauge", [(f'sum by (namespace) (container_memory_working_set_bytes{{{sel}, container!=""}}) / sum by (namespace) (kube_pod_container_resource_requests{{{sel}, resource="memory"}})', "{{namespace}}")], (12, 9, 12, 8), unit="percentunit"),
        _panel(5, "Container restarts (1h)", "table", [(f"sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{{{sel}}}[1h])) > 0", "")], (0, 17, 12, 8)),
        _panel(6, "Pods by phase", "timeseries", [(f"sum by (phase) (kube_pod_status_phase{{{sel}}})", "{{phase}}")], (12, 17, 12, 8)),
    ]
    variables = [_query_variable("namespace", "Namespace", "label_values(kube_pod_info, namespace)")]
    return _dashboard("idp-workloads", "Workloads per namespace", ["workloads"], panels, variables)


def platform_components() -> dict:
    """Traefik, Longhorn, Argo CD and cert-manager, one row each."""
    panels = [
        {"id": 100, "type": "row", "title": "Traefik", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}, "collapsed": False, "panels": []},
        _panel(1, "Requests by entrypoint and code", "timeseries", [("sum by (entrypoint, code) (rate(traefik_entrypoint_requests_total[5m]))", "{{entrypoint}} {{code}}")], (0, 1, 12, 8), unit="reqps"),
        _panel(2, "p95 latency by service", "timeseries", [("histogram_quantile(0.95, sum by (service, le) (rate(traefik_service_request_duration_seconds_bucket[5m])))", "{{service}}")], (12, 1, 12, 8), unit="s"),
        {"id": 101, "type": "row", "title": "Longhorn", "gridPos": {"x": 0, "y": 9, "w": 24, "h": 1}, "collapsed": False, "panels": []},
        _panel(3, "Volumes not healthy", "stat", [("count(longhorn_volume_robustness != 1) or vector(0)", "volumes")], (0, 10, 6, 6)),
        _panel(4, "Volume usage", "bargauge", [("longhorn_volume_actual_size_bytes / longhorn_volume_capacity_bytes", "{{volume}}")], (6, 10, 9, 6), unit="percentunit"),
        _panel(5, "Node storage used", "bargauge", [("longhorn_node_storage_usage_bytes / longhorn_node_storage_capacity_bytes", "{{node}}")], (15, 10, 9, 6), unit="percentunit"),
        {"id": 102, "type": "row", "title": "Argo CD", "gridPos": {"x": 0, "y": 16, "w": 24, "h": 1}, "collapsed": False, "panels": []},
        _panel(6, "Applications by health", "piechart", [("sum by (health_status) (argocd_app_info)", "{{health_status}}")], (0, 17, 8, 7)),
        _panel(7, "Applications by sync status", "piechart", [("sum by (sync_status) (argocd_app_info)", "{{sync_status}}")], (8, 17, 8, 7)),
        _panel(8, "Syncs by phase (1h)", "timeseries", [("sum by (phase) (increase(argocd_app_sync_total[1h]))", "{{phase}}")], (16, 17, 8, 7)),
        {"id": 103, "type": "row", "title": "cert-manager", "gridPos": {"x": 0, "y": 24, "w": 24, "h": 1}, "collapsed": False, "panels": []},
        _panel(9, "Days until expiry", "table", [("(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400", "")], (0, 25, 16, 8), unit="d"),
        _panel(10, "Certificates not ready", "stat", [('sum(certmanager_certificate_ready_status{condition="False"}) or vector(0)', "not ready")], (16, 25, 8, 8)),
    ]
    return _dashboard("idp-platform-components", "Platform components", ["platform"], panels)


DASHBOARDS: dict[str, tuple[str, Callable[[], dict]]] = {
    "cluster-health": ("Cluster", cluster_health),
    "workloads": ("Cluster", workloads_per_namespace),
    "platform-components": ("Platform", platform_components),
    "trivy-security": ("Security", trivy_dashboard),
}
"""ConfigMap suffix -> (Grafana folder, builder)."""
