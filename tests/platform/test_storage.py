"""The storage and data plane of the lab platform layer: Longhorn with two-tier backups, etcd
backups, CloudNativePG with the Barman Cloud plugin, the RabbitMQ operator and the kubelet
serving-certificate approver; all rendered by the real platform program under mocks."""

from __future__ import annotations

import json
import re

import pytest

from idpctl.render_cmd import kubernetes_objects
from idpctl.runtime import SECRET, mask
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import chart_registration, chart_values, lab_config, obj, objects, one, render_platform, waits_for

PINNED = re.compile(r"^v?\d+\.\d+\.\d+$")
CHARTS = {
    # resource name of the chart registration: (repo, chart, version) as read at the tag (CATALOG.md)
    "longhorn-chart-release": ("https://charts.longhorn.io", "longhorn", "1.12.1"),
    "kubelet-csr-approver-chart-release": ("https://postfinance.github.io/kubelet-csr-approver", "kubelet-csr-approver", "1.2.14"),
}
ARGOCD_CHARTS = {
    "cloudnative-pg-chart-application": ("https://cloudnative-pg.github.io/charts", "cloudnative-pg", "0.29.0"),
    "cloudnative-pg-plugin-chart-application": ("https://cloudnative-pg.github.io/charts", "plugin-barman-cloud", "0.7.0"),
}


def _by_name(result, name: str):
    [reg] = [r for r in result.resources if r.name == name]
    return reg


def test_storage_objects_are_schema_valid(lab, schemas):
    kinds = {"RecurringJob", "ServiceAccount", "CronJob", "Middleware"}
    objs = [o for o in kubernetes_objects(lab) if o["kind"] in kinds or o["apiVersion"].startswith(("longhorn.io", "talos.dev"))]
    assert {o["kind"] for o in objs} >= kinds
    assert schemas.validate_all(objs) == []


def test_schema_check_sees_a_wrong_recurring_job(schemas):
    job = {"apiVersion": "longhorn.io/v1beta2", "kind": "RecurringJob", "metadata": {"name": "x", "namespace": "longhorn-system"},
           "spec": {"task": "backups", "cron": "0 1 * * *", "retain": 4}}
    assert any("spec.task" in e for e in schemas.validate(job))


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_helm_charts_are_pinned(lab, name):
    repo, chart, version = CHARTS[name]
    reg = _by_name(lab, name)
    assert reg.inputs["chart"] == chart and reg.inputs["version"] == version and PINNED.match(version)
    assert reg.inputs["repositoryOpts"]["repo"] == repo


@pytest.mark.parametrize("name", sorted(ARGOCD_CHARTS))
def test_argocd_delivered_charts_are_pinned(lab, name):
    repo, chart, version = ARGOCD_CHARTS[name]
    source = _by_name(lab, name).inputs["spec"]["source"]
    assert (source["repoURL"], source["chart"], source["targetRevision"]) == (repo, chart, version)


# -- Longhorn -------------------------------------------------------------------------------------


def test_longhorn_namespace_is_privileged(lab):
    ns = obj(lab, "Namespace", "longhorn-system")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert chart_registration(lab, "longhorn").inputs["namespace"] == "longhorn-system"


def test_storage_classes(lab):
    """`longhorn` (the chart's default class, replicas from config) and Vault's `vault-longhorn-retain`."""
    persistence = chart_values(lab, "longhorn")["persistence"]
    assert persistence["defaultClass"] is True and persistence["defaultClassReplicaCount"] == 2
    assert persistence["reclaimPolicy"] == "Delete"
    retain = obj(lab, "StorageClass", "vault-longhorn-retain")
    assert retain["provisioner"] == "driver.longhorn.io" and retain["reclaimPolicy"] == "Retain"
    assert retain["parameters"]["numberOfReplicas"] == "2"


def test_replica_count_follows_config():
    config = lab_config()
    config["idp:platform"]["longhorn"]["replicaCount"] = 1
    values = chart_values(render_platform(config), "longhorn")
    assert values["persistence"]["defaultClassReplicaCount"] == 1
    assert values["defaultSettings"]["defaultReplicaCount"] == {"v1": "1"}


def test_more_replicas_than_longhorn_disks_is_a_config_error():
    config = lab_config()
    config["idp:platform"]["longhorn"]["replicaCount"] = 3
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert any(line.startswith("config error: idp:platform.longhorn.replicaCount: 3 replicas but only 2 node(s)") for line in caught.value.lines)


def test_data_path_is_the_talos_user_volume(lab):
    settings = chart_values(lab, "longhorn")["defaultSettings"]
    assert settings["defaultDataPath"] == "/var/mnt/longhorn"
    # Only nodes with a Longhorn disk (labelled by the Talos patch) get a default disk.
    assert settings["createDefaultDiskLabeledNodes"] is True


def test_backup_target_and_its_secret_keys(lab):
    store = chart_values(lab, "longhorn")["defaultBackupStore"]
    assert store["backupTarget"] == "s3://idp-lab-backups@us-east-1/longhorn/"
    assert store["backupTargetCredentialSecret"] == "longhorn-s3-credentials"
    secret = obj(lab, "Secret", "longhorn-s3-credentials", "longhorn-system")
    assert set(secret["stringData"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINTS"}
    assert all(value == SECRET for value in secret["stringData"].values()), "every value stays secret in the render"
    # Built from the two S3 secret config values, never from plain config.
    reg = one(lab, "kubernetes:core/v1:Secret", "longhorn-s3-credentials")
    assert mask(reg.inputs)["stringData"] == SECRET


def test_s3_secret_is_built_from_the_two_s3_secrets_and_stays_secret():
    """With the secret values the engine would decrypt, the Secret carries exactly them, marked secret."""
    from idpctl.runtime import config_for_run, is_secret_envelope, run_layer, unwrap

    values, secret_keys, _missing = config_for_run(lab_config())
    values.update({"idp:s3AccessKeyId": "AKIA-LAB-TEST", "idp:s3SecretAccessKey": "lab-secret-key"})
    upstream: dict = {}
    for layer in ("vms", "cluster", "platform"):
        upstream[layer] = run_layer(layer, "lab", values, secret_keys, upstream)
    reg = one(upstream["platform"], "kubernetes:core/v1:Secret", "longhorn-s3-credentials")
    assert is_secret_envelope(reg.inputs["stringData"])
    assert unwrap(reg.inputs["stringData"]) == {
        "AWS_ACCESS_KEY_ID": "AKIA-LAB-TEST",
        "AWS_SECRET_ACCESS_KEY": "lab-secret-key",
        "AWS_ENDPOINTS": "https://s3.lab.idp.internal",
    }
    assert "lab-secret-key" not in json.dumps(mask(reg.inputs))


def test_recurring_jobs_and_retention(lab):
    jobs = {o["metadata"]["name"]: o["spec"] for o in objects(lab, "RecurringJob", "longhorn-system")}
    assert set(jobs) == {"snapshot", "backup"}
    snapshot, backup = jobs["snapshot"], jobs["backup"]
    assert (snapshot["task"], snapshot["retain"]) == ("snapshot", 7)
    assert (backup["task"], backup["retain"]) == ("backup", 4)
    assert snapshot["cron"].split()[2:] == ["*", "*", "*"], "daily"
    assert backup["cron"].split()[2:4] == ["*", "*"] and backup["cron"].split()[4] != "*", "weekly"
    for job in jobs.values():
        # `default`: every volume without job labels; `backup`: the base chart's `backup: true` volumes.
        assert job["groups"] == ["default", "backup"]


def test_recurring_jobs_wait_for_the_chart(lab):
    release = chart_registration(lab, "longhorn")
    for name in ("longhorn-recurring-snapshot", "longhorn-recurring-backup"):
        assert waits_for(lab, one(lab, "kubernetes:longhorn.io/v1beta2:RecurringJob", name), release)


def test_ui_behind_traefik_with_tls_and_login(lab):
    ingress = chart_values(lab, "longhorn")["ingress"]
    assert ingress["enabled"] and ingress["tls"] and ingress["host"] == "longhorn.lab.idp.internal"
    assert ingress["ingressClassName"] == "traefik"
    assert ingress["annotations"]["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
    assert ingress["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] == "longhorn-system-longhorn-ui-auth@kubernetescrd"
    certificate = obj(lab, "Certificate", ingress["tlsSecret"], "longhorn-system")
    assert certificate["spec"]["dnsNames"] == ["longhorn.lab.idp.internal"]
    assert certificate["spec"]["issuerRef"]["name"] == "platform-ca"
    middleware = obj(lab, "Middleware", "longhorn-ui-auth", "longhorn-system")
    assert middleware["spec"]["basicAuth"]["secret"] == "longhorn-ui-auth"
    assert lab.secret_export_names().count("longhornUiPassword") == 1


def test_longhorn_workloads_have_resources(lab):
    values = chart_values(lab, "longhorn")
    assert values["longhornManager"]["resources"]["limits"]["memory"]
    csi = json.loads(values["defaultSettings"]["systemManagedCSIComponentsResourceLimits"])
    assert set(csi) >= {"csi-attacher", "csi-provisioner", "longhorn-csi-plugin"}
    assert all(r["requests"]["cpu"] and r["limits"]["memory"] for r in csi.values())


def test_longhorn_is_protected_while_the_environment_protects():
    assert chart_registration(render_platform(lab_config()), "longhorn").protect
    config = lab_config()
    config["idp:global"]["protect"] = False
    assert not chart_registration(render_platform(config), "longhorn").protect


def test_base_chart_backup_group_has_the_recurring_jobs(lab):
    """Volumes the base chart marks `backup: true` join this group: it must carry both jobs."""
    import yaml

    from tests.platform.helpers import REPO

    group = yaml.safe_load((REPO / "charts" / "platform-app" / "values.yaml").read_text())["longhorn"]["backupGroup"]
    assert all(group in job["spec"]["groups"] for job in objects(lab, "RecurringJob"))


def test_harbor_and_vault_wait_for_longhorn(lab):
    longhorn = chart_registration(lab, "longhorn")
    for name in ("harbor", "vault"):
        assert waits_for(lab, chart_registration(lab, name), longhorn), name


# -- etcd backups ---------------------------------------------------------------------------------


def test_etcd_backup_job(lab):
    job = obj(lab, "CronJob", "talos-backup", "etcd-backup")
    assert job["spec"]["schedule"] == "0 3 * * *" and job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "ghcr.io/siderolabs/talos-backup:v0.1.0-beta.3"
    env = {e["name"]: e for e in container["env"]}
    assert env["BUCKET"]["value"] == "idp-lab-backups" and env["CUSTOM_S3_ENDPOINT"]["value"] == "https://s3.lab.idp.internal"
    assert env["S3_PREFIX"]["value"] == "etcd/idp-lab" and env["CLUSTER_NAME"]["value"] == "idp-lab"
    assert env["AGE_X25519_PUBLIC_KEY"]["value"].startswith("age1")
    assert "DISABLE_ENCRYPTION" not in env
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert env[key]["valueFrom"]["secretKeyRef"] == {"name": "talos-backup-s3", "key": key}
    assert container["resources"]["limits"]["memory"] and container["securityContext"]["readOnlyRootFilesystem"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/var/run/secrets/talos.dev"]]["secret"]["secretName"] == "talos-backup"


def test_etcd_backup_uses_the_talos_api_access_of_its_namespace(lab_config, lab):
    """The namespace is the one the Talos patch allows; Talos writes the talosconfig Secret for the ServiceAccount."""
    from components.talos.args import TalosClusterArgs
    from components.talos.patches import talos_api_access

    cluster = TalosClusterArgs.model_validate(lab_config["idp:vms"]["cluster"])
    access = talos_api_access(cluster)["machine"]["features"]["kubernetesTalosAPIAccess"]
    account = obj(lab, "ServiceAccount", "talos-backup", "etcd-backup")
    assert account["apiVersion"] == "talos.dev/v1alpha1"
    assert account["metadata"]["namespace"] in access["allowedKubernetesNamespaces"]
    assert account["spec"]["roles"] == access["allowedRoles"] == ["os:etcd:backup"]
    assert obj(lab, "Namespace", "etcd-backup")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    secret = obj(lab, "Secret", "talos-backup-s3", "etcd-backup")
    assert set(secret["stringData"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.mark.parametrize(
    "key, message",
    [
        (None, "idp:platform.etcdBackup.agePublicKey: required when etcd backups are enabled"),
        ("age1notakey", "idp:platform.etcdBackup.agePublicKey: is not an age X25519 public key"),
        ("age10y53dk975kz26phu4ezctds4ctftxttqdft4lnleut5xkygltxqs4w9uvq", "idp:platform.etcdBackup.agePublicKey: has a wrong checksum"),
    ],
)
def test_etcd_backup_needs_a_valid_age_recipient(key, message):
    config = lab_config()
    if key is None:
        del config["idp:platform"]["etcdBackup"]["agePublicKey"]
    else:
        config["idp:platform"]["etcdBackup"]["agePublicKey"] = key
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", config, set())
    assert any(line.startswith(f"config error: {message}") for line in caught.value.lines), caught.value.lines


# -- CloudNativePG, RabbitMQ, approver ------------------------------------------------------------


def test_cloudnative_pg_operator_and_plugin(lab):
    operator = _by_name(lab, "cloudnative-pg-chart-application").inputs["spec"]
    plugin_reg = _by_name(lab, "cloudnative-pg-plugin-chart-application")
    plugin = plugin_reg.inputs["spec"]
    assert operator["destination"]["namespace"] == plugin["destination"]["namespace"] == "cnpg-system"
    assert operator["source"]["helm"]["valuesObject"]["crds"]["create"] is True
    assert operator["source"]["helm"]["valuesObject"]["resources"]["limits"]["memory"]
    assert plugin["source"]["helm"]["valuesObject"]["resources"]["limits"]["memory"]
    # The plugin comes after the operator, and both after cert-manager (the plugin's certificates).
    assert waits_for(lab, plugin_reg, _by_name(lab, "cloudnative-pg-chart-application"))
    assert waits_for(lab, plugin_reg, chart_registration(lab, "cert-manager"))


def test_rabbitmq_operator_release_manifest_is_pinned(lab):
    manifest = one(lab, "kubernetes:yaml/v2:ConfigFile", "rabbitmq-operator-manifest")
    assert manifest.inputs["file"] == "https://github.com/rabbitmq/cluster-operator/releases/download/v2.22.3/cluster-operator.yml"


def test_kubelet_serving_certificate_approver_present(lab):
    reg = _by_name(lab, "kubelet-csr-approver-chart-release")
    values = mask(reg.inputs)["values"]
    assert values["providerRegex"] == "^(lab\\-cp\\-1|lab\\-cp\\-2|lab\\-cp\\-3|lab\\-wk\\-1|lab\\-wk\\-2)$"
    assert values["providerIpPrefixes"] == ["10.20.120.0/24"]
    assert values["resources"]["limits"]["memory"]
    assert re.fullmatch(values["providerRegex"], "lab-wk-2") and not re.fullmatch(values["providerRegex"], "evil-wk-2")
    assert obj(lab, "Namespace", "kubelet-csr-approver")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_services_can_be_switched_off():
    config = lab_config()
    for key in ("etcdBackup", "cloudnativePg", "rabbitmqOperator", "kubeletCsrApprover"):
        config["idp:platform"][key] = {"enabled": False}
    result = render_platform(config)
    tokens = {r.type for r in result.resources}
    assert not tokens & {"idp:platform:EtcdBackup", "idp:platform:CloudNativePg", "idp:platform:RabbitMqOperator", "idp:platform:KubeletCsrApprover"}
    assert "idp:platform:Longhorn" in tokens


def test_longhorn_declares_every_crd_its_chart_installs(schemas):
    """`provides` lists exactly the longhorn.io kinds of the upstream CRDs in the schema set (crds/longhorn)."""
    from components.platform.longhorn import Longhorn

    declared = {p.split("/", 1)[1] for p in Longhorn.provides if p.startswith("longhorn.io/")}
    upstream = {kind for (api_version, kind) in schemas._crds if api_version.startswith("longhorn.io/")}
    assert declared == upstream
