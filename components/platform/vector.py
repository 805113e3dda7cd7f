"""Vector on the control-plane nodes: ships the Kubernetes API audit log to VictoriaLogs.

Talos writes the audit log of kube-apiserver to `/var/log/audit/kube/kube-apiserver.log` (rotated
in the same directory) on control-plane nodes only, so Vector runs as a DaemonSet (`role: Agent`)
selected onto them. Each line is one JSON audit event: it is parsed and sent to VictoriaLogs'
Elasticsearch bulk endpoint with `requestURI` as the message, `stageTimestamp` as the time and
`node`/`log_type` as the stream. Of the host it mounts only `/var/log` (read-only) and keeps its
file positions in hostPath `/var/lib/vector`. The audit
files are readable by root only, so Vector runs as root with every capability dropped except
DAC_READ_SEARCH and a read-only root filesystem.
"""

from __future__ import annotations

from typing import Literal

import pulumi

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs
from components.platform.service import PlatformService
from components.platform.victoria_logs import NAMESPACE, URL

RELEASE = "vector"
AUDIT_GLOB = "/var/log/audit/kube/*.log"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
DATA_DIR = "/vector-data-dir"

PARSE_AUDIT = """event = object!(parse_json!(string!(.message)))
del(.message)
. = merge(., event)
.log_type = "kube-apiserver-audit"
.node = get_env_var!("VECTOR_SELF_NODE_NAME")
"""
"""VRL: one audit event per line; a line that is not a JSON object is dropped with an error."""


class VectorArgs(DeliveryArgs):
    """The vector chart as the audit-log shipper."""

    chart: ChartRef = ChartRef(repo="https://helm.vector.dev", name="vector", version="0.57.0")
    delivery: Literal["helm", "argocd"] = "argocd"
    sync_wave: int = 6
    resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")


def vector_config() -> dict:
    """`customConfig`: the whole Vector configuration (it replaces the chart's default)."""
    return {
        "data_dir": DATA_DIR,
        "api": {"enabled": False},
        "sources": {"audit_files": {"type": "file", "include": [AUDIT_GLOB], "read_from": "beginning"}},
        "transforms": {"audit": {"type": "remap", "inputs": ["audit_files"], "source": PARSE_AUDIT}},
        "sinks": {
            "victorialogs": {
                "type": "elasticsearch",
                "inputs": ["audit"],
                "endpoints": [f"{URL}/insert/elasticsearch/"],
                "api_version": "v8",
                "mode": "bulk",
                "compression": "gzip",
                "healthcheck": {"enabled": False},
                "query": {"_msg_field": "requestURI", "_time_field": "stageTimestamp", "_stream_fields": "node,log_type"},
            }
        },
    }


def vector_values(args: VectorArgs) -> dict:
    """Values of vector 0.57.0 (keys checked against its values.yaml)."""
    return {
        "role": "Agent",
        "resources": args.resources.to_k8s(),
        "nodeSelector": {CONTROL_PLANE_LABEL: ""},
        "tolerations": [{"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"}],
        "securityContext": {
            "runAsUser": 0,
            "runAsNonRoot": False,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"], "add": ["DAC_READ_SEARCH"]},
        },
        # Only the host's /var/log (read-only): the chart's defaults also mount /var/lib, /proc and
        # /sys, which the file source does not read. Positions live in hostPath /var/lib/vector
        # (the chart's `persistence.hostPath`).
        "defaultVolumes": [{"name": "var-log", "hostPath": {"path": "/var/log/"}}],
        "defaultVolumeMounts": [{"name": "var-log", "mountPath": "/var/log/", "readOnly": True}],
        "customConfig": vector_config(),
        "service": {"enabled": False},
        "podMonitor": {"enabled": False},
    }



class Vector(PlatformService):
    """Vector as a DaemonSet on the control-plane nodes, shipping the audit log."""

    key = "vector"
    args_type = VectorArgs
    # Shares `logging`, created (privileged) by VictoriaLogs: it mounts host paths (see above).
    namespace = NAMESPACE
    pod_security = "privileged"
    release = RELEASE
    needs = {"victoria_logs": "where it ships the logs, and the logging namespace"}

    def __init__(self, name: str, args: VectorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:Vector", name, {}, opts)
        self._chart(name, args, vector_values(args), create_namespace=False)
        self.register_outputs({})
