"""Longhorn: replicated block storage for every PersistentVolumeClaim of the platform and the teams.

- Data lives on each node's Longhorn disk, which Talos mounts as the user volume
  `/var/mnt/longhorn` (components/talos/patches.py); only nodes carrying the
  `node.longhorn.io/create-default-disk` label get a Longhorn disk, so nothing lands on the system disk.
- The chart's StorageClass `longhorn` is the cluster default, with the replica count from config.
- Two-tier backups (snapshots kept 7 days on the nodes, backups kept 4 weeks in S3): the default
  backup target is `s3://<bucket>@<region>/longhorn/` with a credential Secret built from the
  platform's S3 secrets, and two RecurringJobs in the `default` group (every volume without
  recurring-job labels) and in the group the base chart gives volumes marked `backup: true`.
- The UI has no login of its own: it is served only through Traefik with a `platform-ca`
  certificate and basic auth (user `admin`, generated password exported as a secret).

Longhorn runs privileged pods with host paths, so its namespace is `privileged`.
"""

from __future__ import annotations

import json
from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pydantic import Field

from components.model import Cron, Fqdn, Model, Resources
from components.platform.cert_manager import ingress_certificate
from components.platform.chart import ChartRef, DeliveryArgs, IngressTls, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.platform.traefik import INGRESS_CLASS, TLS_ROUTER_ANNOTATIONS
from components.s3 import S3Config, S3Credentials, credentials_secret
from components.talos.patches import LONGHORN_PATH

NAMESPACE = "longhorn-system"
STORAGE_CLASS = "longhorn"
"""The StorageClass the chart creates (the cluster default)."""
CREDENTIAL_SECRET = "longhorn-s3-credentials"
UI_TLS_SECRET = "longhorn-ui-tls"
UI_AUTH_SECRET = "longhorn-ui-auth"
UI_AUTH_MIDDLEWARE = "longhorn-ui-auth"
UI_USER = "admin"
DATA_PATH = LONGHORN_PATH
"""Where Talos mounts the `longhorn` user volume (the kubelet sees the same path); only nodes with
the Talos patch's label `node.longhorn.io/create-default-disk` get a Longhorn disk there."""
API_VERSION = "longhorn.io/v1beta2"


class RecurringJobArgs(Model):
    """One recurring job: what it does, when (cron, node time), and how many results it keeps."""

    cron: Cron = Field(description="five-field cron")
    retain: int = Field(ge=1, le=100)
    concurrency: int = Field(2, ge=1, description="volumes processed at the same time")


class LonghornArgs(DeliveryArgs):
    """Longhorn chart, replicas, two-tier backup schedule, UI host and resources."""

    chart: ChartRef = ChartRef(repo="https://charts.longhorn.io", name="longhorn", version="1.12.1")
    replica_count: int = Field(3, ge=1, le=5, description="replicas of each volume of the default StorageClass")
    snapshot: RecurringJobArgs = RecurringJobArgs(cron="0 1 * * *", retain=7)
    """Local snapshots: daily, kept 7 days."""
    backup: RecurringJobArgs = RecurringJobArgs(cron="0 2 * * 0", retain=4)
    """Backups to S3: weekly, kept 4 weeks."""
    backup_group: str = Field(
        "backup", pattern=r"^[a-z0-9][-a-z0-9]*$", description="recurring-job group of the base chart's `backup: true` volumes"
    )
    poll_interval: int = Field(300, ge=0, description="seconds between reads of the backup store (0: never)")
    reserved_percentage: int = Field(10, ge=0, le=100, description="share of each Longhorn disk kept free")
    host: Fqdn | None = Field(None, description="UI host, default longhorn.<domain>")
    ui_replicas: int = Field(2, ge=1)
    manager_resources: Resources = Resources(requests_cpu="100m", requests_memory="256Mi", limits_memory="1Gi")
    csi_resources: Resources = Resources(requests_cpu="20m", requests_memory="64Mi", limits_memory="256Mi")


def csi_resource_limits(resources: Resources) -> str:
    """`defaultSettings.systemManagedCSIComponentsResourceLimits`: a JSON object, one entry per CSI container."""
    components = (
        "csi-attacher", "csi-provisioner", "csi-resizer", "csi-snapshotter",
        "longhorn-csi-plugin", "node-driver-registrar", "longhorn-liveness-probe",
    )
    return json.dumps({c: resources.to_k8s() for c in components}, sort_keys=True)


def longhorn_values(args: LonghornArgs, s3: S3Config, host: str) -> dict:
    """Values keys as in longhorn/longhorn `chart/values.yaml` at v1.12.1."""
    return {
        "persistence": {
            "defaultClass": True,
            "defaultClassReplicaCount": args.replica_count,
            "defaultFsType": "ext4",
            "reclaimPolicy": "Delete",
            "backupTargetName": "default",
        },
        "defaultSettings": {
            "defaultDataPath": DATA_PATH,
            "createDefaultDiskLabeledNodes": True,
            "defaultReplicaCount": {"v1": str(args.replica_count)},
            "storageReservedPercentageForDefaultDisk": args.reserved_percentage,
            "systemManagedCSIComponentsResourceLimits": csi_resource_limits(args.csi_resources),
        },
        "defaultBackupStore": {
            "backupTarget": s3.longhorn_target(),
            "backupTargetCredentialSecret": CREDENTIAL_SECRET,
            "pollInterval": str(args.poll_interval),
        },
        # The pre-upgrade hook Job cannot run under Argo CD (values comment in the chart).
        "preUpgradeChecker": {"jobEnabled": args.delivery == "helm"},
        "longhornManager": {"resources": args.manager_resources.to_k8s()},
        "longhornUI": {"replicas": args.ui_replicas},
        "ingress": {
            "enabled": True,
            "ingressClassName": INGRESS_CLASS,
            "host": host,
            "tls": True,
            "tlsSecret": UI_TLS_SECRET,
            "path": "/",
            "pathType": "Prefix",
            "annotations": {
                **TLS_ROUTER_ANNOTATIONS,
                "traefik.ingress.kubernetes.io/router.middlewares": f"{NAMESPACE}-{UI_AUTH_MIDDLEWARE}@kubernetescrd",
            },
        },
    }


class Longhorn(PlatformService):
    """The Longhorn chart, its S3 credentials, the recurring jobs and the UI's certificate and login."""

    key = "longhorn"
    args_type = LonghornArgs
    namespace = NAMESPACE
    pod_security = "privileged"
    release = "longhorn"
    bootstrap = True
    ingress = True
    provides: ClassVar[tuple[str, ...]] = (
        f"storageclass/{STORAGE_CLASS}",
        *(
            f"longhorn.io/{kind}"
            for kind in (
                # The 25 CRDs of deploy/longhorn.yaml at v1.12.1.
                "BackingImage", "BackingImageDataSource", "BackingImageManager", "Backup", "BackupBackingImage",
                "BackupTarget", "BackupVolume", "Engine", "EngineFrontend", "EngineImage", "InstanceManager", "Node",
                "Orphan", "RecurringJob", "Replica", "Setting", "Shard", "ShardGroup", "ShareManager", "Snapshot",
                "SupportBundle", "SystemBackup", "SystemRestore", "Volume", "VolumeAttachment",
            )
        ),
    )

    storage_class: str
    """The default StorageClass."""
    ui_url: str
    """`https://<host>/`."""
    ui_password: pulumi.Output[str]
    """Password of the UI user `admin` (secret)."""

    def __init__(
        self,
        name: str,
        args: LonghornArgs,
        tls: IngressTls,
        *,
        s3: S3Config,
        credentials: S3Credentials,
        protect: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Longhorn", name, {}, opts)
        host = args.host or tls.host("longhorn")
        labels = standard_labels("longhorn", "longhorn", args.chart.version)
        namespace = self._namespace(name)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        secret = credentials_secret(
            f"{name}-s3-credentials",
            name=CREDENTIAL_SECRET,
            namespace=NAMESPACE,
            credentials=credentials,
            extra={"AWS_ENDPOINTS": s3.endpoint},
            labels=labels,
            opts=in_namespace,
        )
        password = random.RandomPassword(f"{name}-ui-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self))
        auth = k8s.core.v1.Secret(
            f"{name}-ui-auth",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=UI_AUTH_SECRET, namespace=NAMESPACE, labels=labels),
            type="Opaque",
            string_data={"users": pulumi.Output.secret(pulumi.Output.concat(UI_USER, ":", password.bcrypt_hash))},
            opts=in_namespace,
        )
        # Protected like every stateful resource: uninstalling Longhorn takes every volume with it.
        chart = self._chart(
            name, args, longhorn_values(args, s3, host), create_namespace=False, depends_on=[namespace, secret], protect=protect
        )
        after_chart = pulumi.ResourceOptions(parent=self, depends_on=[chart.ready])
        k8s.apiextensions.CustomResource(
            f"{name}-ui-auth-middleware",
            api_version="traefik.io/v1alpha1",
            kind="Middleware",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=UI_AUTH_MIDDLEWARE, namespace=NAMESPACE, labels=labels),
            spec={"basicAuth": {"secret": UI_AUTH_SECRET, "realm": "longhorn"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[auth]),
        )
        ingress_certificate(
            f"{name}-ui-certificate",
            namespace=NAMESPACE,
            secret_name=UI_TLS_SECRET,
            hosts=[host],
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, tls.issuer]),
        )
        groups = ["default", args.backup_group]
        for task, job in (("snapshot", args.snapshot), ("backup", args.backup)):
            self._recurring_job(name, task, job, groups, labels, after_chart)
        self.storage_class = STORAGE_CLASS
        self.ui_url = f"https://{host}/"
        self.ui_password = pulumi.Output.secret(password.result)
        self.register_outputs({"storageClass": self.storage_class, "uiUrl": self.ui_url, "uiPassword": self.ui_password})

    def _recurring_job(
        self, name: str, task: str, job: RecurringJobArgs, groups: list[str], labels: dict, opts: pulumi.ResourceOptions
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{name}-recurring-{task}",
            api_version=API_VERSION,
            kind="RecurringJob",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=task, namespace=NAMESPACE, labels=labels),
            spec={
                "name": task,
                "task": task,
                "cron": job.cron,
                "retain": job.retain,
                "concurrency": job.concurrency,
                "groups": groups,
                "labels": {},
            },
            opts=opts,
        )

    @classmethod
    def create(cls, name: str, args: LonghornArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Longhorn":
        return cls(
            name,
            args,
            context.require_tls(cls.key),
            s3=context.require_s3(cls.key),
            credentials=context.s3_credentials(),
            protect=context.protect,
            opts=opts,
        )

    def urls(self) -> dict[str, str]:
        return {"longhorn": self.ui_url}

    def stack_outputs(self) -> dict:
        return {"longhornUiPassword": self.ui_password}
