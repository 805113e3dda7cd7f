"""Grafana: dashboards and log search for the platform team, behind Traefik, login against AD.

- LDAP login with Grafana's own AD service account (`idp:global.ldap.bindDns.grafana`, password
  from `idp:ldapGrafanaBindPassword`): the whole `ldap.toml`, bind password included, lives in
  Secret `grafana-ldap` (key `ldap-toml`, mounted as /etc/grafana/ldap.toml by the chart). AD
  groups map to Grafana roles (`admin_group` -> Admin, `editor_group` -> Editor, anyone else in
  the user base DN -> Viewer). Reloader restarts Grafana when that Secret changes, so a password
  rotation needs no manual step.
- Datasources: VictoriaMetrics (Prometheus API of vmsingle) and VictoriaLogs (the VictoriaLogs
  plugin, installed from `logs_plugin_url`, a mirror inside the network: Grafana's default
  plugin download would need the internet at start-up, and a URL on the internet is rejected;
  without a mirror URL Grafana starts without the logs datasource).
- Dashboards are ConfigMaps in `monitoring` (components/platform/dashboards.py), loaded by the
  chart's dashboard sidecar; the datasource sidecar is off (datasources are provisioned here).
- No phoning home: update checks, analytics and the news feed are off.
"""

from __future__ import annotations

import json
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field, field_validator

from components.ldap import BIND_PASSWORD_KEYS, LdapConfig
from components.model import Fqdn, K8sName, Resources
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import (
    ChartRef,
    DeliveryArgs,
    IngressTls,
    standard_labels,
)
from components.platform.dashboards import DASHBOARDS
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS
from components.platform.victoria_logs import URL as LOGS_URL
from components.platform.victoria_metrics import VMSINGLE_URL, storage_needs

NAMESPACE = "monitoring"
RELEASE = "grafana"
LDAP_SECRET = "grafana-ldap"
LDAP_SECRET_KEY = "ldap-toml"
"""The key the grafana chart mounts as /etc/grafana/ldap.toml (chart 12.7.3 `ldap.existingSecret`)."""
ADMIN_SECRET = "grafana-admin"
TLS_SECRET = "grafana-tls"
DASHBOARD_LABEL = "grafana_dashboard"
FOLDER_ANNOTATION = "grafana_folder"
LOGS_PLUGIN = "victoriametrics-logs-datasource"
VM_DATASOURCE_UID = "VictoriaMetrics"
LOGS_DATASOURCE_UID = "VictoriaLogs"
INTERNET_HOSTS = ("grafana.com", "github.com", "githubusercontent.com")


class GrafanaArgs(DeliveryArgs):
    """The grafana chart (grafana-community), host, AD group mapping, plugin mirror, resources."""

    chart: ChartRef = ChartRef(repo="oci://ghcr.io/grafana-community/helm-charts", name="grafana", version="12.7.3")
    delivery: Literal["helm", "argocd"] = "argocd"
    sync_wave: int = 10
    host: Fqdn | None = Field(None, description="default grafana.<domain>")
    admin_group: str = Field("GrafanaAdmin", description="AD group (cn under groupBaseDn) of Grafana admins")
    editor_group: str = Field("GrafanaEditor", description="AD group (cn under groupBaseDn) of dashboard editors")
    logs_plugin_version: str = Field("0.24.1", pattern=r"^\d+\.\d+\.\d+$")
    logs_plugin_url: str | None = Field(
        None,
        pattern=r"^https://\S+$",
        description="the VictoriaLogs datasource plugin zip on a mirror inside the network; without it Grafana gets no logs datasource",
    )
    persistence_size_gi: int = Field(2, ge=1)
    storage_class: K8sName = "longhorn"
    resources: Resources = Resources(requests_cpu="50m", requests_memory="128Mi", limits_memory="512Mi")
    sidecar_resources: Resources = Resources(requests_cpu="10m", requests_memory="64Mi", limits_memory="128Mi")

    @field_validator("logs_plugin_url")
    @classmethod
    def _inside_the_network(cls, value: str | None) -> str | None:
        if value and any(host in value for host in INTERNET_HOSTS):
            raise ValueError(f"{value} is on the internet; point it at a mirror inside the network")
        return value


def ldap_toml(ldap: LdapConfig, bind_password: str, args: GrafanaArgs) -> str:
    """Grafana's ldap.toml for Active Directory, bound with Grafana's own service account."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def group(cn: str) -> str:
        return f"CN={cn},{ldap.group_base_dn}"

    lines = [
        "[[servers]]",
        f"host = {quoted(ldap.host)}",
        f"port = {ldap.port}",
        f"use_ssl = {str(ldap.use_tls).lower()}",
        f"start_tls = {str(ldap.start_tls).lower()}",
        f"ssl_skip_verify = {str(ldap.insecure_skip_verify).lower()}",
        f"bind_dn = {quoted(ldap.bind_dn('grafana'))}",
        f"bind_password = {quoted(bind_password)}",
        f"search_filter = {quoted(f'(&{ldap.user_filter}({ldap.username_attribute}=%s))')}",
        f"search_base_dns = [{quoted(ldap.user_base_dn)}]",
        "",
        "[servers.attributes]",
        f"username = {quoted(ldap.username_attribute)}",
        'member_of = "memberOf"',
        'email = "mail"',
        'name = "givenName"',
        'surname = "sn"',
        "",
        "[[servers.group_mappings]]",
        f"group_dn = {quoted(group(args.admin_group))}",
        'org_role = "Admin"',
        "grafana_admin = true",
        "",
        "[[servers.group_mappings]]",
        f"group_dn = {quoted(group(args.editor_group))}",
        'org_role = "Editor"',
        "",
        "[[servers.group_mappings]]",
        'group_dn = "*"',
        'org_role = "Viewer"',
        "",
    ]
    return "\n".join(lines)


def datasources(metrics_url: str | None, logs_url: str | None) -> list[dict]:
    found: list[dict] = []
    if metrics_url:
        found.append(
            {"name": "VictoriaMetrics", "type": "prometheus", "uid": VM_DATASOURCE_UID, "access": "proxy", "url": metrics_url, "isDefault": True}
        )
    if logs_url:
        found.append({"name": "VictoriaLogs", "type": LOGS_PLUGIN, "uid": LOGS_DATASOURCE_UID, "access": "proxy", "url": logs_url})
    return found


def grafana_values(args: GrafanaArgs, host: str, *, metrics_url: str | None, logs_url: str | None) -> dict:
    """Values of the grafana chart 12.7.3 (keys checked against its values.yaml)."""
    plugins = []
    if logs_url and args.logs_plugin_url:
        plugins.append(f"{LOGS_PLUGIN}@{args.logs_plugin_version}@{args.logs_plugin_url}")
    return {
        "replicas": 1,
        "resources": args.resources.to_k8s(),
        "admin": {"existingSecret": ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        # Restart on a new ldap.toml (rotation); /metrics on the HTTP port for the annotation scrape job.
        "podAnnotations": {
            "reloader.stakater.com/auto": "true",
            "prometheus.io/scrape": "true",
            "prometheus.io/port": "3000",
            "prometheus.io/path": "/metrics",
        },
        "testFramework": {"enabled": False},
        # fsGroup makes the volume writable; the root init container is not needed.
        "initChownData": {"enabled": False},
        "persistence": {
            "enabled": True,
            "type": "pvc",
            "storageClassName": args.storage_class,
            "size": f"{args.persistence_size_gi}Gi",
            "accessModes": ["ReadWriteOnce"],
        },
        "plugins": plugins,
        "datasources": {"datasources.yaml": {"apiVersion": 1, "datasources": datasources(metrics_url, logs_url)}},
        "sidecar": {
            "resources": args.sidecar_resources.to_k8s(),
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": "1",
                "searchNamespace": [NAMESPACE],
                "folderAnnotation": FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True},
            },
            "datasources": {"enabled": False},
        },
        "ldap": {"enabled": True, "existingSecret": LDAP_SECRET},
        "grafana.ini": {
            "server": {"domain": host, "root_url": f"https://{host}/"},
            "auth.ldap": {"enabled": True, "allow_sign_up": True, "config_file": "/etc/grafana/ldap.toml"},
            "users": {"allow_sign_up": False},
            "analytics": {"check_for_updates": False, "check_for_plugin_updates": False, "reporting_enabled": False},
            "news": {"news_feed_enabled": False},
        },
        "ingress": {
            "enabled": True,
            "ingressClassName": INGRESS_CLASS,
            "annotations": dict(TLS_ROUTER_ANNOTATIONS),
            "hosts": [host],
            "path": "/",
            "pathType": "Prefix",
            "tls": [{"secretName": TLS_SECRET, "hosts": [host]}],
        },
    }


class Grafana(PlatformService):
    """Grafana's chart, its LDAP and admin Secrets, the dashboards and the ingress certificate."""

    key = "grafana"
    args_type = GrafanaArgs
    # Shares `monitoring`, created (privileged) by the VictoriaMetrics stack; it needs no host access itself.
    namespace = NAMESPACE
    pod_security = "privileged"
    release = RELEASE
    ingress = True
    needs = {"victoria_metrics": "the monitoring namespace and the VictoriaMetrics datasource"}

    url: str
    """`https://<host>/`."""
    admin_password: pulumi.Output[str]
    """Password of the local `admin` user (break-glass when AD is down)."""
    dashboard_uids: list[str]

    @classmethod
    def requires(cls, args: GrafanaArgs) -> dict[str, str]:
        return {**super().requires(args), **storage_needs(args.storage_class)}

    def __init__(
        self,
        name: str,
        args: GrafanaArgs,
        tls: IngressTls,
        *,
        ldap: LdapConfig,
        bind_password: pulumi.Input[str],
        metrics_url: str | None,
        logs_url: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Grafana", name, {}, opts)
        host = args.host or tls.host("grafana")
        labels = standard_labels("grafana", RELEASE, args.chart.version)
        toml = pulumi.Output.secret(bind_password).apply(lambda password: ldap_toml(ldap, password, args))
        ldap_secret = k8s.core.v1.Secret(
            f"{name}-ldap",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=LDAP_SECRET, namespace=NAMESPACE, labels=labels),
            string_data={LDAP_SECRET_KEY: pulumi.Output.secret(toml)},
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stringData", "data"]),
        )
        password = random.RandomPassword(f"{name}-admin-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self))
        self.admin_password = pulumi.Output.secret(password.result)
        admin_secret = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ADMIN_SECRET, namespace=NAMESPACE, labels=labels),
            string_data={"admin-user": "admin", "admin-password": self.admin_password},
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stringData", "data"]),
        )
        self.dashboard_uids = []
        for suffix, (folder, build) in DASHBOARDS.items():
            board = build()
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"grafana-dashboard-{suffix}",
                    namespace=NAMESPACE,
                    labels={**labels, DASHBOARD_LABEL: "1"},
                    annotations={FOLDER_ANNOTATION: folder},
                ),
                data={f"{suffix}.json": json.dumps(board, indent=1, sort_keys=True)},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.dashboard_uids.append(board["uid"])
        chart = self._chart(
            name,
            args,
            grafana_values(args, host, metrics_url=metrics_url, logs_url=logs_url),
            create_namespace=False,
            depends_on=[ldap_secret, admin_secret],
        )
        ingress_certificate(
            f"{name}-certificate",
            namespace=NAMESPACE,
            secret_name=TLS_SECRET,
            hosts=[host],
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[chart.ready, tls.issuer]),
        )
        self.url = f"https://{host}/"
        self.register_outputs({"url": self.url, "dashboardUids": self.dashboard_uids})

    @classmethod
    def create(cls, name: str, args: GrafanaArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> Grafana:
        return cls(
            name,
            args,
            context.require_tls(cls.key),
            ldap=context.ldap,
            bind_password=context.secret(BIND_PASSWORD_KEYS["grafana"]),
            metrics_url=VMSINGLE_URL if context.get("victoria_metrics") else None,
            logs_url=LOGS_URL if context.get("victoria_logs") else None,
            opts=opts,
        )

    def urls(self) -> dict[str, str]:
        return {"grafana": self.url}

    def stack_outputs(self) -> dict:
        return {"grafanaAdminPassword": self.admin_password}
