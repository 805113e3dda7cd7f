"""VictoriaMetrics k8s stack: the operator and its CRDs, vmsingle, vmagent, vmalert, node-exporter and
kube-state-metrics, in namespace `monitoring`.

- vmsingle keeps `retention` of metrics on a Longhorn volume.
- vmagent scrapes what the operator objects select (the chart's control-plane, kubelet,
  node-exporter and kube-state-metrics scrapes, the platform components' own `VMServiceScrape`s and
  `VMPodScrape`s declared here) and, as raw jobs, every pod and service annotated
  `prometheus.io/scrape: "true"` (the operator only scrapes through its objects, so annotation
  discovery needs its own `kubernetes_sd_configs` jobs).
- vmalert evaluates the rules shipped in `platform/observability/rules/` (one VMRule per group) and
  sends alerts to the Alertmanager the `alertmanager` service runs, found by label.
- Nothing needs the internet at deploy time: since chart 0.85.0 the default dashboards and rules
  are downloaded by a sync Job from raw.githubusercontent.com; that Job stays off, the chart's
  dashboard and rule switches stay off, and our rules and dashboards come from this repository.
- Talos binds kube-controller-manager and kube-scheduler to 127.0.0.1 and runs etcd outside
  Kubernetes; the Talos patch `control-plane-metrics` binds them to the node address, and their
  scrapes point at the control-plane node IPs (no pod selector can find etcd). kube-proxy's
  scrape stays off: its metrics listen on 127.0.0.1 and add nothing the alerts use.

The namespace is `privileged`: node-exporter runs with hostNetwork, hostPID and hostPath mounts of
`/`, `/proc` and `/sys`, which `baseline` forbids; nothing else in `monitoring` needs host access.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pydantic import Field

from components.model import Duration, K8sName, Model, Resources
from components.platform.chart import ChartRef, DeliveryArgs, standard_labels
from components.platform.service import PlatformContext, PlatformService

NAMESPACE = "monitoring"
RELEASE = "vmks"
FULLNAME = "vmks"
"""`fullnameOverride`: the operator names the vmsingle Service `vmsingle-vmks`."""
STORAGE_CLASS = "longhorn"
VMSINGLE_URL = f"http://vmsingle-{FULLNAME}.{NAMESPACE}.svc:8428"
"""Prometheus-compatible query endpoint (Grafana's VictoriaMetrics datasource)."""
ALERTMANAGER_SELECTOR = {"idp.platform/alertmanager": "true"}
"""Label that vmalert uses to find the platform's VMAlertmanager."""
RULES_DIR = Path(__file__).resolve().parents[2] / "platform" / "observability" / "rules"
API_VERSION = "operator.victoriametrics.com/v1beta1"

VM_OPERATOR_KINDS = (
    "VLAgent", "VLCluster", "VLDistributed", "VLogs", "VLSingle", "VMAgent", "VMAlertmanagerConfig",
    "VMAlertmanager", "VMAlert", "VMAnomaly", "VMAnomalyConfig", "VMAuth", "VMCluster",
    "VMDistributed", "VMNodeScrape", "VMPodScrape", "VMProbe", "VMRule", "VMScrapeConfig",
    "VMServiceScrape", "VMSingle", "VMStaticScrape", "VMUser", "VTCluster", "VTSingle",
)
"""Custom-resource kinds whose CRDs the operator sub-chart installs (operator v0.74)."""


class VictoriaMetricsStackArgs(DeliveryArgs):
    """The k8s-stack chart: retention and storage, scrape interval, resources of every workload."""

    chart: ChartRef = ChartRef(
        repo="https://victoriametrics.github.io/helm-charts/", name="victoria-metrics-k8s-stack", version="0.91.2"
    )
    delivery: Literal["helm", "argocd"] = "argocd"
    sync_wave: int = 5
    retention: str = Field(
        "30d", pattern=r"^\d+[hdwy]?$", description="vmsingle retentionPeriod: h/d/w/y, a bare number is months; minimum 24h"
    )
    storage_size_gi: int = Field(20, ge=1)
    storage_class: K8sName = STORAGE_CLASS
    scrape_interval: Duration = "30s"
    evaluation_interval: Duration = "30s"
    cluster_label: str = Field("idp", description="`cluster` external label on every series")
    annotation_scrape: bool = Field(True, description="scrape pods and services annotated prometheus.io/scrape: \"true\"")
    control_plane_scrapes: bool = Field(
        True, description="scrape kube-controller-manager, kube-scheduler and etcd (needs the Talos control-plane-metrics patch)"
    )
    # Requests sized for the lab (five nodes, some 40k active series: about 1 KiB of memory per series
    # plus caches); limits leave room for merges and queries. Larger environments raise them here.
    vmsingle_resources: Resources = Resources(requests_cpu="200m", requests_memory="384Mi", limits_memory="2Gi")
    vmagent_resources: Resources = Resources(requests_cpu="50m", requests_memory="192Mi", limits_memory="1Gi")
    vmalert_resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    config_reloader_resources: Resources = Resources(requests_cpu="10m", requests_memory="32Mi", limits_memory="64Mi")
    operator_resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    kube_state_metrics_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")
    node_exporter_resources: Resources = Resources(requests_cpu="20m", requests_memory="32Mi", limits_memory="128Mi")


def _control_plane_endpoint(port: str, scheme: str) -> dict:
    """Endpoint of a control-plane scrape. Talos' controller-manager and scheduler serve their
    self-signed certificate, not one from the cluster CA, hence no verification there."""
    endpoint: dict = {"port": port, "scheme": scheme}
    if scheme == "https":
        endpoint["bearerTokenFile"] = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        endpoint["tlsConfig"] = {"insecureSkipVerify": True}
    return endpoint


def control_plane_values(args: VictoriaMetricsStackArgs, control_plane_ips: list[str]) -> dict:
    """kube-controller-manager (10257), kube-scheduler (10259) and etcd metrics (2381, plain HTTP)
    by node address; off when the switch is off or no control-plane address is known."""
    on = args.control_plane_scrapes and bool(control_plane_ips)
    values: dict = {"kubeProxy": {"enabled": False}}
    for key, port, scheme in (("kubeControllerManager", 10257, "https"), ("kubeScheduler", 10259, "https"), ("kubeEtcd", 2381, "http")):
        if not on:
            values[key] = {"enabled": False}
            continue
        values[key] = {
            "enabled": True,
            "endpoints": list(control_plane_ips),
            "service": {"enabled": True, "port": port, "targetPort": port},
            "vmScrape": {"spec": {"endpoints": [_control_plane_endpoint("http-metrics", scheme)]}},
        }
    return values


def annotation_scrape_jobs() -> list[dict]:
    """Raw scrape jobs for `prometheus.io/scrape: "true"` on pods and on services (their endpoints);
    `prometheus.io/{port,path,scheme}` refine the target, as the Prometheus examples define them."""
    jobs = []
    for role, meta in (("pod", "pod"), ("endpoints", "service")):
        relabel = [
            {"source_labels": [f"__meta_kubernetes_{meta}_annotation_prometheus_io_scrape"], "action": "keep", "regex": "true"},
            {
                "source_labels": [f"__meta_kubernetes_{meta}_annotation_prometheus_io_scheme"],
                "action": "replace",
                "regex": "(https?)",
                "target_label": "__scheme__",
            },
            {
                "source_labels": [f"__meta_kubernetes_{meta}_annotation_prometheus_io_path"],
                "action": "replace",
                "regex": "(.+)",
                "target_label": "__metrics_path__",
            },
            {
                "source_labels": ["__address__", f"__meta_kubernetes_{meta}_annotation_prometheus_io_port"],
                "action": "replace",
                "regex": r"([^:]+)(?::\d+)?;(\d+)",
                "replacement": "$1:$2",
                "target_label": "__address__",
            },
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ]
        if role == "pod":
            relabel.insert(1, {"source_labels": ["__meta_kubernetes_pod_phase"], "action": "drop", "regex": "Pending|Succeeded|Failed"})
        else:
            relabel.append({"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"})
        jobs.append(
            {
                "job_name": f"kubernetes-{meta}s-annotated",
                "kubernetes_sd_configs": [{"role": role}],
                "relabel_configs": relabel,
            }
        )
    return jobs


def stack_values(args: VictoriaMetricsStackArgs, *, control_plane_ips: list[str], cert_manager: bool) -> dict:
    """Values of victoria-metrics-k8s-stack 0.91.2 (keys checked against its values.yaml)."""
    reloader = args.config_reloader_resources.to_k8s()
    vmagent_spec: dict = {
        "scrapeInterval": args.scrape_interval,
        "selectAllByDefault": True,
        "externalLabels": {"cluster": args.cluster_label},
        "resources": args.vmagent_resources.to_k8s(),
        "configReloaderResources": reloader,
        "extraArgs": {"promscrape.streamParse": "true"},
    }
    if args.annotation_scrape:
        vmagent_spec["inlineScrapeConfig"] = yaml.safe_dump(annotation_scrape_jobs(), sort_keys=False)
    values: dict = {
        "fullnameOverride": FULLNAME,
        "global": {"clusterLabel": "cluster"},
        "victoria-metrics-operator": {
            "enabled": True,
            # Keep CRDs (and every VM object) when the release goes: the cleanup hook would delete them.
            "crds": {"plain": True, "cleanup": {"enabled": False}},
            "resources": args.operator_resources.to_k8s(),
            # Nothing installs the prometheus-operator CRDs, so there is nothing to convert.
            "operator": {"disable_prometheus_converter": True},
            # Webhook certificate from cert-manager: a Helm-generated one changes on every render
            # (perpetual Argo CD drift).
            "admissionWebhooks": {"enabled": True, "policy": "Ignore", "certManager": {"enabled": cert_manager}},
        },
        # The on-prem trap: both would need the sync Job, which downloads from the internet.
        "syncJob": {"enabled": False},
        "defaultDashboards": {"enabled": False},
        "defaultRules": {"enabled": False},
        "vmsingle": {
            "enabled": True,
            "spec": {
                "retentionPeriod": args.retention,
                "replicaCount": 1,
                "resources": args.vmsingle_resources.to_k8s(),
                "storage": {
                    "storageClassName": args.storage_class,
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{args.storage_size_gi}Gi"}},
                },
            },
        },
        "vmcluster": {"enabled": False},
        "vmagent": {"enabled": True, "spec": vmagent_spec},
        "vmalert": {
            "enabled": True,
            "spec": {
                "evaluationInterval": args.evaluation_interval,
                "selectAllByDefault": True,
                "resources": args.vmalert_resources.to_k8s(),
                "configReloaderResources": reloader,
                # The `alertmanager` service's VMAlertmanager, found by label (no URL to keep in sync).
                "notifiers": [
                    {
                        "selector": {
                            "labelSelector": {"matchLabels": dict(ALERTMANAGER_SELECTOR)},
                            "namespaceSelector": {"matchNames": [NAMESPACE]},
                        }
                    }
                ],
            },
        },
        # Alertmanager and Grafana are services of their own (alertmanager.py, grafana.py).
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        "kube-state-metrics": {"enabled": True, "resources": args.kube_state_metrics_resources.to_k8s()},
        "prometheus-node-exporter": {"enabled": True, "resources": args.node_exporter_resources.to_k8s()},
        "kubelet": {"enabled": True},
        "kubeApiServer": {"enabled": True},
        "coreDns": {"enabled": True},
        **control_plane_values(args, control_plane_ips),
    }
    if args.delivery == "argocd":
        # Without it the chart's VMServiceScrapes select by the Application name, not the release.
        values["argocdReleaseOverride"] = RELEASE
    return values


def rule_groups() -> list[dict]:
    """Every rule group shipped in `platform/observability/rules/*.yaml` (Prometheus rule files)."""
    groups: list[dict] = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text()) or {}
        groups.extend(document.get("groups", []))
    return groups


class ComponentScrape(Model):
    """A platform component's own metrics endpoint, scraped through a VMPodScrape or VMServiceScrape."""

    name: K8sName
    namespace: K8sName
    service: str = Field(description="catalog key of the service that runs it (skipped when that service is off)")
    kind: Literal["VMPodScrape", "VMServiceScrape"] = "VMPodScrape"
    match_labels: dict[str, str]
    port: str
    path: str = "/metrics"


COMPONENT_SCRAPES: tuple[ComponentScrape, ...] = (
    ComponentScrape(
        name="trivy-operator", namespace="trivy-system", service="trivy_operator", kind="VMServiceScrape",
        match_labels={"app.kubernetes.io/name": "trivy-operator"}, port="metrics",
    ),
    ComponentScrape(
        name="argocd", namespace="argocd", service="argocd",
        match_labels={"app.kubernetes.io/part-of": "argocd"}, port="metrics",
    ),
    ComponentScrape(
        name="longhorn-manager", namespace="longhorn-system", service="longhorn", kind="VMServiceScrape",
        match_labels={"app": "longhorn-manager"}, port="manager",
    ),
)
"""Metrics endpoints of the platform components that carry no `prometheus.io/scrape` annotation
(Trivy, Argo CD, Longhorn). Traefik (its `traefik-metrics` Service) and cert-manager (its
controller pod, chart v1.21.1 with `prometheus.enabled` and no ServiceMonitor) are annotated, so
the annotation job scrapes them; listing them here too would scrape them twice."""


def scrape_spec(scrape: ComponentScrape, interval: str) -> dict:
    endpoint = {"port": scrape.port, "path": scrape.path, "interval": interval}
    key = "podMetricsEndpoints" if scrape.kind == "VMPodScrape" else "endpoints"
    return {
        "selector": {"matchLabels": dict(scrape.match_labels)},
        "namespaceSelector": {"matchNames": [scrape.namespace]},
        key: [endpoint],
    }


class VictoriaMetricsStack(PlatformService):
    """The k8s-stack chart, the alert rules as VMRules and the platform components' scrapes."""

    key = "victoria_metrics"
    args_type = VictoriaMetricsStackArgs
    namespace = NAMESPACE
    # node-exporter: hostNetwork, hostPID and hostPath (see the module docstring).
    pod_security = "privileged"
    release = RELEASE
    needs = {"cert_manager": "the operator's admission webhook certificate"}
    provides = tuple(f"operator.victoriametrics.com/{kind}" for kind in VM_OPERATOR_KINDS)

    rule_names: list[str]
    """Names of the VMRules (one per group of platform/observability/rules)."""

    @classmethod
    def requires(cls, args: VictoriaMetricsStackArgs) -> dict[str, str]:
        return {**super().requires(args), **storage_needs(args.storage_class)}

    def __init__(
        self,
        name: str,
        args: VictoriaMetricsStackArgs,
        *,
        control_plane_ips: list[str] = (),  # type: ignore[assignment]
        scrapes: list[tuple[ComponentScrape, pulumi.Resource]] = (),  # type: ignore[assignment]
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:VictoriaMetricsStack", name, {}, opts)
        chart = self._chart(name, args, stack_values(args, control_plane_ips=list(control_plane_ips), cert_manager=True))
        labels = standard_labels("victoria-metrics-k8s-stack", RELEASE, args.chart.version)
        self.rule_names = []
        for group in rule_groups():
            rule_name = f"idp-{group['name']}"
            k8s.apiextensions.CustomResource(
                f"{name}-rule-{group['name']}",
                api_version=API_VERSION,
                kind="VMRule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=rule_name, namespace=NAMESPACE, labels=labels),
                spec={"groups": [group]},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready]),
            )
            self.rule_names.append(rule_name)
        for scrape, owner in scrapes:
            k8s.apiextensions.CustomResource(
                f"{name}-scrape-{scrape.name}",
                api_version=API_VERSION,
                kind=scrape.kind,
                metadata=k8s.meta.v1.ObjectMetaArgs(name=scrape.name, namespace=scrape.namespace, labels=labels),
                spec=scrape_spec(scrape, args.scrape_interval),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, owner]),
            )
        self.register_outputs({"ruleNames": self.rule_names})

    @classmethod
    def create(cls, name: str, args: VictoriaMetricsStackArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> VictoriaMetricsStack:
        scrapes = [(s, context.services[s.service]) for s in COMPONENT_SCRAPES if s.service in context.services]
        return cls(name, args, control_plane_ips=list(context.control_plane_metrics_ips), scrapes=scrapes, opts=opts)


def storage_needs(storage_class: str) -> dict[str, str]:
    """The Longhorn service, when the catalog has it and the volumes use its StorageClass."""
    from components.platform.catalog import BY_KEY  # the catalog imports this module

    if storage_class == STORAGE_CLASS and "longhorn" in BY_KEY:
        return {"longhorn": f"the {STORAGE_CLASS} StorageClass"}
    return {}
