"""The VictoriaLogs collector: a DaemonSet (vlagent) shipping every container's logs to VictoriaLogs.

It runs on every node, control planes included (it tolerates every taint), reads the container
logs under the host's `/var/log` read-only and buffers in hostPath `/var/lib/vl-collector` while
VictoriaLogs is unreachable; hence the `privileged` Pod Security level of `logging`.
"""

from __future__ import annotations

from typing import Literal

import pulumi

from components.model import Resources
from components.platform.chart import ChartRef, DeliveryArgs
from components.platform.service import PlatformService
from components.platform.victoria_logs import NAMESPACE, URL

RELEASE = "logs-collector"


class LogsCollectorArgs(DeliveryArgs):
    """The victoria-logs-collector chart and its resources."""

    chart: ChartRef = ChartRef(repo="https://victoriametrics.github.io/helm-charts/", name="victoria-logs-collector", version="0.3.7")
    delivery: Literal["helm", "argocd"] = "argocd"
    sync_wave: int = 6
    exclude_filter: str = ""
    resources: Resources = Resources(requests_cpu="20m", requests_memory="48Mi", limits_memory="256Mi")


def logs_collector_values(args: LogsCollectorArgs) -> dict:
    """Values of victoria-logs-collector 0.3.7 (keys checked against its values.yaml)."""
    return {
        "remoteWrite": [{"url": URL}],
        "collector": {"excludeFilter": args.exclude_filter, "includePodLabels": True},
        "resources": args.resources.to_k8s(),
        # Container logs of control-plane nodes too.
        "tolerations": [{"operator": "Exists"}],
    }



class LogsCollector(PlatformService):
    """The victoria-logs-collector DaemonSet on every node."""

    key = "logs_collector"
    args_type = LogsCollectorArgs
    # Shares `logging`, created (privileged) by VictoriaLogs: it mounts host paths (see above).
    namespace = NAMESPACE
    pod_security = "privileged"
    release = RELEASE
    needs = {"victoria_logs": "where it ships the logs, and the logging namespace"}

    def __init__(self, name: str, args: LogsCollectorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:platform:LogsCollector", name, {}, opts)
        self._chart(name, args, logs_collector_values(args), create_namespace=False)
        self.register_outputs({})
