"""The observability plane: VictoriaMetrics stack, Alertmanager to Teams, Grafana, VictoriaLogs with its
collector, Vector for the audit log -- as the lab platform layer renders them.

Where a real tool can check a document it does: `promtool` (the Prometheus package) checks the
alert rules, the dashboard queries and the annotation scrape jobs; the upstream CRD schemas check
every custom resource; `tomllib` parses Grafana's ldap.toml. Tests needing promtool skip without it.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from components.ldap import BIND_PASSWORD_KEYS
from components.platform import alertmanager as am
from components.platform.catalog import BY_KEY
from components.platform.dashboards import DASHBOARDS
from components.platform.grafana import GrafanaArgs, ldap_toml
from components.platform.victoria_metrics import (
    RULES_DIR,
    VM_OPERATOR_KINDS,
    annotation_scrape_jobs,
)
from idpctl import runtime
from idpctl.render_cmd import kubernetes_objects
from stacks.config import SECRET_KEYS
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import (
    REPO,
    chart_values,
    lab_config,
    obj,
    objects,
    one,
    render_platform,
)

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`; scripts/system-packages.sh installs it)")
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="amtool not installed (Debian package `prometheus-alertmanager`; scripts/system-packages.sh installs it)")
MSTEAMSV2_FIELDS = {"webhook_url", "webhook_url_file", "title", "text", "send_resolved", "http_config"}
"""Fields of Alertmanager's `msteamsv2_configs` (Alertmanager 0.28+)."""
SECRET = "kubernetes:core/v1:Secret"
CONTROL_PLANE_IPS = ["10.20.120.11", "10.20.120.12", "10.20.120.13"]


def _validate(config: dict):
    return load_environment("lab", {k: v for k, v in config.items() if not (isinstance(v, dict) and set(v) == {"secure"})}, set())


# -- VictoriaMetrics stack: retention, storage, scrapes, rules --------------------------------


def test_vmsingle_keeps_the_configured_retention_on_longhorn(lab):
    spec = chart_values(lab, "victoria-metrics")["vmsingle"]["spec"]
    assert spec["retentionPeriod"] == "30d"
    assert spec["storage"]["storageClassName"] == "longhorn"
    assert spec["storage"]["resources"]["requests"]["storage"] == "20Gi"


def test_retention_follows_the_config_and_a_bad_value_names_the_key():
    config = lab_config()
    config["idp:platform"]["victoriaMetrics"]["retention"] = "90d"
    config["idp:platform"]["victoriaLogs"]["retention"] = "14d"
    result = render_platform(config)
    assert chart_values(result, "victoria-metrics")["vmsingle"]["spec"]["retentionPeriod"] == "90d"
    assert chart_values(result, "victoria-logs")["server"]["retentionPeriod"] == "14d"
    config["idp:platform"]["victoriaLogs"]["retention"] = "7"  # a bare number would mean 7 months
    with pytest.raises(ConfigError, match=r"idp:platform\.victoriaLogs\.retention"):
        _validate(config)


def test_annotation_scrape_jobs_keep_only_annotated_pods_and_services(lab):
    jobs = yaml.safe_load(chart_values(lab, "victoria-metrics")["vmagent"]["spec"]["inlineScrapeConfig"])
    by_role = {job["kubernetes_sd_configs"][0]["role"]: job for job in jobs}
    assert set(by_role) == {"pod", "endpoints"}
    for role, meta in (("pod", "pod"), ("endpoints", "service")):
        keep = by_role[role]["relabel_configs"][0]
        assert keep == {
            "source_labels": [f"__meta_kubernetes_{meta}_annotation_prometheus_io_scrape"],
            "action": "keep",
            "regex": "true",
        }
        targets = {r.get("target_label") for r in by_role[role]["relabel_configs"]}
        assert {"__metrics_path__", "__address__", "__scheme__", "namespace"} <= targets


@needs_promtool
def test_annotation_scrape_jobs_relabelling_is_valid_prometheus_config(tmp_path: Path):
    # Debian's promtool is built without Kubernetes service discovery, so the check runs each job
    # with a static target in its place: what it validates is the relabelling (actions, regexes,
    # labels), the part written here.
    jobs = []
    for job in annotation_scrape_jobs():
        assert job.pop("kubernetes_sd_configs")[0]["role"] in ("pod", "endpoints")
        jobs.append({**job, "static_configs": [{"targets": ["10.0.0.1:9100"]}]})
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"scrape_configs": jobs}))
    check = subprocess.run([PROMTOOL, "check", "config", "--syntax-only", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    jobs[0]["relabel_configs"][0]["regex"] = "(unclosed"
    config.write_text(yaml.safe_dump({"scrape_configs": jobs}))
    assert subprocess.run([PROMTOOL, "check", "config", "--syntax-only", str(config)], capture_output=True).returncode != 0


def test_control_plane_targets_are_scraped_by_node_address(lab):
    values = chart_values(lab, "victoria-metrics")
    for key, port, scheme in (("kubeControllerManager", 10257, "https"), ("kubeScheduler", 10259, "https"), ("kubeEtcd", 2381, "http")):
        assert values[key]["enabled"] is True
        assert values[key]["endpoints"] == CONTROL_PLANE_IPS, key
        assert values[key]["service"]["port"] == port
        (endpoint,) = values[key]["vmScrape"]["spec"]["endpoints"]
        assert endpoint["scheme"] == scheme
    assert values["kubeProxy"] == {"enabled": False}


def test_talos_binds_the_control_plane_metrics_the_scrapes_use(schemas):
    from components.talos.patches import node_patches

    cluster = _validate(lab_config()).config.vms.cluster
    assert [str(n.ip) for n in cluster.control_planes] == CONTROL_PLANE_IPS
    for node in cluster.nodes:
        patches = dict(node_patches(cluster, node))
        if node.role != "controlplane":
            assert "control-plane-metrics" not in patches
            continue
        patch = patches["control-plane-metrics"]
        assert schemas.validate_talos(patch) == []
        assert patch["cluster"]["controllerManager"]["extraArgs"]["bind-address"] == "0.0.0.0"
        assert patch["cluster"]["scheduler"]["extraArgs"]["bind-address"] == "0.0.0.0"
        assert patch["cluster"]["etcd"]["extraArgs"]["listen-metrics-urls"] == "http://0.0.0.0:2381"


def test_without_the_talos_patch_the_control_plane_scrapes_are_off():
    config = lab_config()
    config["idp:vms"]["cluster"]["controlPlaneMetrics"] = False
    values = chart_values(render_platform(config), "victoria-metrics")
    for key in ("kubeControllerManager", "kubeScheduler", "kubeEtcd"):
        assert values[key] == {"enabled": False}


def test_platform_components_have_their_own_scrapes(lab):
    scrapes = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects(lab) if o["kind"] in ("VMPodScrape", "VMServiceScrape")}
    assert {
        ("VMServiceScrape", "trivy-system", "trivy-operator"),
        ("VMPodScrape", "argocd", "argocd"),
    } <= scrapes
    # Traefik and cert-manager: through the annotation job (annotated Service / pods), not twice.
    assert not [s for s in scrapes if s[1] in ("traefik", "cert-manager")]
    assert chart_values(lab, "cert-manager")["prometheus"] == {"enabled": True, "servicemonitor": {"enabled": False}}
    traefik = chart_values(lab, "traefik")["metrics"]["prometheus"]["service"]["annotations"]
    assert traefik["prometheus.io/scrape"] == "true"
    # victoria-logs-single scrapes itself through the chart's VMServiceScrape.
    assert chart_values(lab, "victoria-logs")["server"]["vmServiceScrape"]["enabled"] is True


REQUIRED_ALERTS = {
    "NodeDown", "NodeCpuPressure", "NodeMemoryPressure", "PersistentVolumeNearlyFull", "PodCrashLooping",
    "LonghornVolumeDegraded", "CertificateExpiringSoon", "VaultSealed", "BackupJobFailed", "EtcdBackupJobFailed",
}


def test_rules_cover_every_required_alert_and_ship_as_vmrules(lab):
    rules = [o for o in objects(lab, "VMRule", "monitoring")]
    alerts = {r["alert"]: r for o in rules for g in o["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert REQUIRED_ALERTS <= set(alerts), REQUIRED_ALERTS - set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
    assert len(rules) == len({g["name"] for o in rules for g in o["spec"]["groups"]})


@needs_promtool
def test_rule_files_pass_promtool(tmp_path: Path):
    files = sorted(RULES_DIR.glob("*.yaml"))
    assert files
    check = subprocess.run([PROMTOOL, "check", "rules", *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("groups: [{name: x, rules: [{alert: X, expr: 'up ==='}]}]\n")
    assert subprocess.run([PROMTOOL, "check", "rules", str(broken)], capture_output=True).returncode != 0


def test_every_observability_object_is_schema_valid(lab, schemas):
    found = [o for o in objects(lab) if o["apiVersion"].startswith("operator.victoriametrics.com/")]
    assert {"VMRule", "VMAlertmanager", "VMPodScrape", "VMServiceScrape"} <= {o["kind"] for o in found}
    assert schemas.validate_all(found) == []
    broken = copy.deepcopy(next(o for o in found if o["kind"] == "VMAlertmanager"))
    broken["spec"]["replicaCount"] = "two"
    assert schemas.validate_all([broken])


# -- nothing from the internet at deploy time -------------------------------------------------

INTERNET_TLDS = {"com", "io", "org", "net", "dev", "sh", "co", "cloud", "app"}


def _urls(value) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'\\,]+", json.dumps(value)))


def test_no_sync_job_and_no_chart_dashboards_or_rules_downloads(lab):
    values = chart_values(lab, "victoria-metrics")
    assert values["syncJob"]["enabled"] is False
    assert values["defaultDashboards"]["enabled"] is False and values["defaultRules"]["enabled"] is False
    assert values["victoria-metrics-operator"]["crds"]["cleanup"]["enabled"] is False
    grafana = chart_values(lab, "grafana")
    assert grafana["grafana.ini"]["analytics"]["check_for_updates"] is False
    assert all("@https://artifacts.lab.idp.internal/" in plugin for plugin in grafana["plugins"])


@pytest.mark.parametrize(
    "component", ["victoria-metrics", "grafana", "victoria-logs", "logs-collector", "vector"]
)
def test_values_point_only_inside_the_network(lab, component):
    for url in _urls(chart_values(lab, component)):
        host = url.split("/")[2].split(":")[0]
        assert host.endswith((".svc", ".lab.idp.internal")) or host.rsplit(".", 1)[-1] not in INTERNET_TLDS, url


def test_grafana_rejects_a_plugin_from_the_internet():
    config = lab_config()
    config["idp:platform"]["grafana"]["logsPluginUrl"] = "https://grafana.com/api/plugins/victoriametrics-logs-datasource/versions/0.24.1/download"
    with pytest.raises(ConfigError, match=r"idp:platform\.grafana\.logsPluginUrl: .*on the internet"):
        _validate(config)


# -- Alertmanager to Teams ---------------------------------------------------------------------

WEBHOOK_CANARY = "https://example.webhook.office.com/workflows/canary-4d1f"


def _render_with_secrets(values: dict[str, str]):
    config, secret_keys, _ = runtime.config_for_run(lab_config())
    config.update({f"idp:{k}": v for k, v in values.items()})
    upstream: dict = {}
    for layer in ("vms", "cluster", "platform"):
        upstream[layer] = runtime.run_layer(layer, "lab", config, secret_keys, upstream=upstream)
    return upstream["platform"]


def test_teams_receiver_reads_the_webhook_from_the_mounted_secret(lab):
    config = yaml.safe_load(runtime.unwrap(one(lab, SECRET, "alertmanager-config").inputs["stringData"])["alertmanager.yaml"])
    (receiver,) = config["receivers"]
    (teams,) = receiver["msteamsv2_configs"]
    assert teams == {"webhook_url_file": "/etc/vm/secrets/alertmanager-teams/webhook-url", "send_resolved": True}
    assert config["route"]["receiver"] == receiver["name"]
    alertmanager = obj(lab, "VMAlertmanager", "idp", "monitoring")
    assert alertmanager["spec"]["configSecret"] == am.CONFIG_SECRET
    assert am.WEBHOOK_SECRET in alertmanager["spec"]["secrets"]
    assert alertmanager["spec"]["image"]["tag"] == "v0.32.1"  # msteamsv2 needs 0.28+
    # vmalert finds this Alertmanager by its label.
    (notifier,) = chart_values(lab, "victoria-metrics")["vmalert"]["spec"]["notifiers"]
    labels = notifier["selector"]["labelSelector"]["matchLabels"]
    assert labels.items() <= alertmanager["metadata"]["labels"].items()


def test_webhook_url_comes_from_its_secret_key_and_is_never_rendered():
    assert "teamsWebhookUrl" in SECRET_KEYS
    platform = _render_with_secrets({"teamsWebhookUrl": WEBHOOK_CANARY})
    secret = one(platform, SECRET, "alertmanager-teams-webhook")
    assert runtime.is_secret_envelope(secret.inputs["stringData"])
    assert runtime.unwrap(secret.inputs["stringData"]) == {am.WEBHOOK_KEY: WEBHOOK_CANARY}
    masked = repr([runtime.mask(r.inputs) for r in platform.resources]) + repr(platform.masked_exports())
    assert WEBHOOK_CANARY not in masked
    config = runtime.unwrap(one(platform, SECRET, "alertmanager-config").inputs["stringData"])["alertmanager.yaml"]
    assert "webhook.office.com" not in config


@needs_amtool
def test_alertmanager_config_passes_amtool(tmp_path: Path):
    # Debian's amtool (0.25) predates msteamsv2, so its receiver is checked here against the
    # fields Alertmanager 0.28+ defines and swapped for a webhook for amtool, which checks the
    # rest: route tree, matchers, inhibition, receiver names.
    config = am.alertmanager_config(am.AlertmanagerArgs())
    for receiver in config["receivers"]:
        for teams in receiver.pop("msteamsv2_configs"):
            assert set(teams) <= MSTEAMSV2_FIELDS and "webhook_url" not in teams
        receiver["webhook_configs"] = [{"url": "http://127.0.0.1:9/"}]
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    check = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    config["route"]["routes"][0]["receiver"] = "nobody"
    path.write_text(yaml.safe_dump(config))
    assert subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True).returncode != 0


def test_critical_alerts_repeat_more_often_and_silence_warnings():
    config = am.alertmanager_config(am.AlertmanagerArgs())
    (critical,) = config["route"]["routes"]
    assert critical["matchers"] == ['severity="critical"'] and critical["repeat_interval"] == "1h"
    (inhibit,) = config["inhibit_rules"]
    assert inhibit["source_matchers"] == ['severity="critical"'] and "alertname" in inhibit["equal"]


# -- Grafana -----------------------------------------------------------------------------------


def test_grafana_datasources_and_dashboards(lab):
    values = chart_values(lab, "grafana")
    sources = {d["uid"]: d for d in values["datasources"]["datasources.yaml"]["datasources"]}
    assert sources["VictoriaMetrics"]["url"] == "http://vmsingle-vmks.monitoring.svc:8428"
    assert sources["VictoriaMetrics"]["type"] == "prometheus" and sources["VictoriaMetrics"]["isDefault"] is True
    assert sources["VictoriaLogs"]["url"] == "http://victoria-logs.logging.svc:9428"
    assert sources["VictoriaLogs"]["type"] == "victoriametrics-logs-datasource"
    maps = {o["metadata"]["name"]: o for o in objects(lab, "ConfigMap", "monitoring") if o["metadata"]["labels"].get("grafana_dashboard") == "1"}
    assert set(maps) == {f"grafana-dashboard-{s}" for s in ("cluster-health", "workloads", "platform-components", "trivy-security")}
    sidecar = values["sidecar"]["dashboards"]
    assert sidecar["enabled"] is True and sidecar["label"] == "grafana_dashboard" and "monitoring" in sidecar["searchNamespace"]
    titles = {json.loads(next(iter(m["data"].values())))["title"] for m in maps.values()}
    assert {"Cluster health", "Workloads per namespace", "Platform components", "Security: vulnerabilities (Trivy)"} == titles


def test_platform_dashboard_covers_traefik_longhorn_argocd_cert_manager():
    board = DASHBOARDS["platform-components"][1]()
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
    for prefix in ("traefik_", "longhorn_", "argocd_", "certmanager_"):
        assert prefix in exprs, prefix


@needs_promtool
def test_every_dashboard_query_parses(tmp_path: Path):
    rules = []
    for suffix, (_, build) in DASHBOARDS.items():
        board = build()
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), suffix
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"].replace("$namespace", ".*")
                rules.append({"record": f"check:{suffix.replace('-', '_')}:{panel['id']}", "expr": expr})
    path = tmp_path / "dashboards.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    check = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_grafana_ldap_toml_binds_with_grafanas_own_account():
    from components.ldap import LdapConfig

    ldap = LdapConfig.model_validate(lab_config()["idp:global"]["ldap"])
    text = ldap_toml(ldap, 'pa"ss\\word', GrafanaArgs())
    parsed = tomllib.loads(text)
    (server,) = parsed["servers"]
    assert server["bind_dn"] == ldap.bind_dns.grafana
    assert server["bind_password"] == 'pa"ss\\word'
    assert server["host"] == "dc01.lab.idp.internal" and server["use_ssl"] is True
    assert server["attributes"]["member_of"] == "memberOf"
    roles = {m["group_dn"]: m["org_role"] for m in server["group_mappings"]}
    assert roles["CN=GrafanaAdmin,OU=Groups,DC=lab,DC=idp,DC=internal"] == "Admin"
    assert roles["*"] == "Viewer"


def test_grafana_reads_ldap_toml_from_its_secret(lab):
    values = chart_values(lab, "grafana")
    assert values["ldap"] == {"enabled": True, "existingSecret": "grafana-ldap"}
    assert values["grafana.ini"]["auth.ldap"]["enabled"] is True
    assert values["podAnnotations"]["reloader.stakater.com/auto"] == "true"
    secret = obj(lab, "Secret", "grafana-ldap", "monitoring")
    assert secret["stringData"] == {"ldap-toml": "[secret]"}


# -- one LDAP service account per component ---------------------------------------------------


def test_each_component_binds_with_its_own_account_and_password():
    canaries = {client: f"canary-{client}-bind-9e1" for client in BIND_PASSWORD_KEYS}
    platform = _render_with_secrets({key: canaries[client] for client, key in BIND_PASSWORD_KEYS.items()})
    ldap = lab_config()["idp:global"]["ldap"]["bindDns"]
    seen = {
        "dex": runtime.unwrap(one(platform, SECRET, "argocd-ldap-secret").inputs["stringData"])["bindPW"],
        "harbor": runtime.unwrap(one(platform, "harbor:index/configAuth:ConfigAuth", "harbor-ldap").inputs["ldapSearchPassword"]),
        "vault": runtime.unwrap(one(platform, "vault:ldap/authBackend:AuthBackend", "vault-config-ldap").inputs["bindpass"]),
    }
    toml = tomllib.loads(runtime.unwrap(one(platform, SECRET, "grafana-ldap").inputs["stringData"])["ldap-toml"])
    seen["grafana"] = toml["servers"][0]["bind_password"]
    assert seen == canaries
    dns = {
        "dex": yaml.safe_load(chart_values(platform, "argocd")["configs"]["cm"]["dex.config"])["connectors"][0]["config"]["bindDN"],
        "harbor": one(platform, "harbor:index/configAuth:ConfigAuth", "harbor-ldap").inputs["ldapSearchDn"],
        "vault": one(platform, "vault:ldap/authBackend:AuthBackend", "vault-config-ldap").inputs["binddn"],
        "grafana": toml["servers"][0]["bind_dn"],
    }
    assert dns == ldap and len(set(dns.values())) == 4


def test_a_shared_bind_dn_or_the_old_single_account_is_rejected():
    config = lab_config()
    config["idp:global"]["ldap"]["bindDns"]["vault"] = config["idp:global"]["ldap"]["bindDns"]["harbor"]
    with pytest.raises(ConfigError, match=r"idp:global\.ldap\.bindDns: vault and harbor share the bind DN"):
        _validate(config)
    config = lab_config()
    config["idp:global"]["ldap"]["bindDn"] = "CN=svc-idp-ldap,DC=lab"
    with pytest.raises(ConfigError, match=r"idp:global\.ldap: bindDn .*replaced by bindDns"):
        _validate(config)


def test_the_old_shared_password_key_names_its_replacements():
    config = lab_config()
    config["idp:ldapBindPassword"] = {"secure": "x"}
    with pytest.raises(ConfigError, match=r"idp:ldapBindPassword: no longer used, replaced by .*idp:ldapGrafanaBindPassword"):
        load_environment("lab", config, {"idp:ldapBindPassword"})


def test_the_platform_pipeline_sets_every_platform_secret():
    pipeline = yaml.safe_load((REPO / "pipelines" / "platform" / "bitbucket-pipelines.yml").read_text())
    script = next(s["script"] for s in pipeline["definitions"]["scripts"] if "config set --secret" in s["script"])
    pairs = dict(re.findall(r"(\w+):([A-Z][A-Z0-9_]+)", script.split("; do")[0]))
    platform_keys = {k for k, (_, layers) in SECRET_KEYS.items() if "platform" in layers}
    assert set(pairs) == platform_keys
    assert len(set(pairs.values())) == len(pairs), "one CI variable per key"
    for client, key in BIND_PASSWORD_KEYS.items():
        assert pairs[key] == f"LDAP_{client.upper()}_BIND_PASSWORD"


# -- namespaces, Pod Security and references ---------------------------------------------------


def test_monitoring_and_logging_exist_with_the_host_access_they_need(lab):
    namespaces = {o["metadata"]["name"]: o for o in objects(lab, "Namespace")}
    for name in ("monitoring", "logging"):
        labels = namespaces[name]["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "privileged", name
    # The host access: node-exporter in monitoring; the collector and Vector mount host paths in logging.
    assert BY_KEY["victoria_metrics"].pod_security == "privileged"
    assert chart_values(lab, "vector")["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    vector = chart_values(lab, "vector")
    assert vector["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["DAC_READ_SEARCH"]}
    assert [v["hostPath"]["path"] for v in vector["defaultVolumes"]] == ["/var/log/"]  # not /proc, /sys, /var/lib
    assert all(m["readOnly"] for m in vector["defaultVolumeMounts"])
    # Every namespace the observability objects live in is created by the platform.
    used = {o["metadata"].get("namespace") for o in objects(lab) if o["kind"].startswith("VM") or o["metadata"].get("namespace") in ("monitoring", "logging")}
    assert used <= set(namespaces)


def test_vm_operator_kinds_are_declared_by_the_stack_and_nothing_refers_to_them_without_it():
    assert {f"operator.victoriametrics.com/{k}" for k in ("VMRule", "VMServiceScrape", "VMPodScrape", "VMAlertmanager")} <= set(BY_KEY["victoria_metrics"].provides)
    assert len(VM_OPERATOR_KINDS) == 25
    config = lab_config()
    for key in ("victoriaMetrics", "alertmanager", "grafana"):
        config["idp:platform"][key]["enabled"] = False
    result = render_platform(config)
    assert not [o for o in kubernetes_objects(result) if o["apiVersion"].startswith("operator.victoriametrics.com/")]
    assert chart_values(result, "victoria-logs")["server"]["vmServiceScrape"]["enabled"] is False


def test_alertmanager_and_grafana_need_the_stack():
    config = lab_config()
    config["idp:platform"]["victoriaMetrics"]["enabled"] = False
    with pytest.raises(ConfigError, match=r"idp:platform\.alertmanager\.enabled: needs platform\.victoriaMetrics\.enabled"):
        _validate(config)
