"""etcd backups: Sidero's talos-backup as a daily CronJob, encrypted, to the platform's S3 store.

The Talos API is reachable from inside the cluster only for the namespace the Talos patch allows
(`machine.features.kubernetesTalosAPIAccess`, role `os:etcd:backup`, components/talos/patches.py).
In that namespace a `talos.dev/v1alpha1` ServiceAccount asks Talos for a client configuration; Talos
writes it to a Secret of the same name, which the job mounts where the Talos client looks for it
(`/var/run/secrets/talos.dev`). The job takes a snapshot through the Talos API, encrypts it with age
to the public key from config (the private key stays offline with the operators, so the bucket
alone never reveals the cluster's secrets) and uploads it to `s3://<bucket>/etcd/<cluster>/`.

Restoring is `talosctl bootstrap --recover-from` (docs/runbooks/etcd-recovery.md).
"""

from __future__ import annotations

import re
from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from components.model import Cron, K8sName, Resources
from components.platform.chart import ServiceArgs, platform_namespace, standard_labels
from components.platform.service import PlatformContext, PlatformService
from components.s3 import ETCD_PREFIX, S3Config, S3Credentials, credentials_secret

IMAGE = "ghcr.io/siderolabs/talos-backup:v0.1.0-beta.3"
TALOS_SECRETS_PATH = "/var/run/secrets/talos.dev"
"""Where the Talos client reads the in-cluster talosconfig."""
NAME = "talos-backup"
CREDENTIALS = "talos-backup-s3"
ROLE = "os:etcd:backup"


class EtcdBackupArgs(ServiceArgs):
    """Schedule, the age recipient and the job's resources; the namespace is the Talos-allowed one."""

    schedule: Cron = Field("0 3 * * *", description="five-field cron (UTC): daily by default")
    age_public_key: str | None = Field(
        None, description="age X25519 recipient (age1...) the snapshots are encrypted to; required when enabled"
    )
    path_style: bool = Field(True, description="S3 path-style addressing (most S3-compatible stores need it)")
    history: int = Field(3, ge=0, le=10, description="finished jobs kept, each of success and failure")
    resources: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")

    @field_validator("age_public_key")
    @classmethod
    def _recipient(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"age1[02-9ac-hj-np-z]{58}", value):
            raise ValueError("is not an age X25519 public key (age1 followed by 58 bech32 characters; `age-keygen -y key.txt`)")
        if not _bech32_valid("age", value[4:]):
            raise ValueError("has a wrong checksum (a typo?): copy it again from `age-keygen -y key.txt`")
        return value


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_valid(hrp: str, data: str) -> bool:
    """BIP-173 checksum, as age encodes recipients: a mistyped key is caught here, not at 3 a.m."""
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in data]:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, g in enumerate(generator):
            check ^= g if (top >> i) & 1 else 0
    return check == 1


def backup_env(args: EtcdBackupArgs, s3: S3Config, cluster_name: str) -> list[dict]:
    """Environment of talos-backup v0.1.0-beta.3 (`pkg/config/service.go`); credentials come from a Secret."""
    secret_key = lambda key: {"secretKeyRef": {"name": CREDENTIALS, "key": key}}  # noqa: E731
    return [
        {"name": "AWS_ACCESS_KEY_ID", "valueFrom": secret_key("AWS_ACCESS_KEY_ID")},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": secret_key("AWS_SECRET_ACCESS_KEY")},
        {"name": "AWS_REGION", "value": s3.region},
        {"name": "CUSTOM_S3_ENDPOINT", "value": s3.endpoint},
        {"name": "BUCKET", "value": s3.bucket},
        {"name": "S3_PREFIX", "value": f"{ETCD_PREFIX}/{cluster_name}"},
        {"name": "CLUSTER_NAME", "value": cluster_name},
        {"name": "AGE_X25519_PUBLIC_KEY", "value": args.age_public_key or ""},
        # v0.1.0-beta.3 sets UsePathStyle to `USE_PATH_STYLE == "false"` (inverted upstream), so
        # "false" here turns path-style addressing on.
        {"name": "USE_PATH_STYLE", "value": "false" if args.path_style else "true"},
    ]


def backup_pod(args: EtcdBackupArgs, s3: S3Config, cluster_name: str, labels: dict) -> dict:
    """The job's pod: non-root, read-only, talosconfig from the ServiceAccount's Secret."""
    return {
        "metadata": {"labels": labels},
        "spec": {
            "restartPolicy": "OnFailure",
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": NAME,
                    "image": IMAGE,
                    "command": ["/talos-backup"],
                    "workingDir": "/tmp",
                    "env": backup_env(args, s3, cluster_name),
                    "resources": args.resources.to_k8s(),
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volumeMounts": [
                        {"name": "tmp", "mountPath": "/tmp"},
                        {"name": "talos-secrets", "mountPath": TALOS_SECRETS_PATH, "readOnly": True},
                    ],
                }
            ],
            "volumes": [
                {"name": "tmp", "emptyDir": {}},
                {"name": "talos-secrets", "secret": {"secretName": NAME}},
            ],
        },
    }


class EtcdBackup(PlatformService):
    """The namespace Talos lets at its API, the Talos ServiceAccount, the S3 Secret and the CronJob."""

    key = "etcd_backup"
    args_type = EtcdBackupArgs
    namespace = "etcd-backup"
    """Default; the namespace actually used is `idp:vms.cluster.etcdBackupNamespace`."""
    provides: ClassVar[tuple[str, ...]] = ()

    schedule: str
    """When snapshots are taken (cron, UTC)."""
    location: str
    """`s3://<bucket>/etcd/<cluster>/`."""

    def __init__(
        self,
        name: str,
        args: EtcdBackupArgs,
        *,
        namespace: K8sName,
        cluster_name: str,
        s3: S3Config,
        credentials: S3Credentials,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:EtcdBackup", name, {}, opts)
        if not args.age_public_key:  # the config rules reject this before anything is built
            raise ValueError("platform.etcdBackup.agePublicKey is required when etcd backups are enabled")
        labels = standard_labels(NAME, NAME, IMAGE.rsplit(":", 1)[1])
        ns = platform_namespace(f"{name}-namespace", namespace, "restricted", parent=self)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        account = k8s.apiextensions.CustomResource(
            f"{name}-talos-service-account",
            api_version="talos.dev/v1alpha1",
            kind="ServiceAccount",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace, labels=labels),
            spec={"roles": [ROLE]},
            opts=in_namespace,
        )
        secret = credentials_secret(
            f"{name}-s3-credentials", name=CREDENTIALS, namespace=namespace, credentials=credentials, labels=labels, opts=in_namespace
        )
        k8s.batch.v1.CronJob(
            f"{name}-cronjob",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace, labels=labels),
            spec={
                "schedule": args.schedule,
                "timeZone": "Etc/UTC",
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": args.history,
                "failedJobsHistoryLimit": args.history,
                "jobTemplate": {"spec": {"backoffLimit": 3, "template": backup_pod(args, s3, cluster_name, labels)}},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, secret]),
        )
        self.schedule = args.schedule
        self.location = s3.url(ETCD_PREFIX, cluster_name)
        self.register_outputs({"schedule": self.schedule, "location": self.location})

    @classmethod
    def create(cls, name: str, args: EtcdBackupArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "EtcdBackup":
        cluster = context.require_cluster(cls.key)
        return cls(
            name,
            args,
            namespace=cluster.etcd_backup_namespace,
            cluster_name=cluster.name,
            s3=context.require_s3(cls.key),
            credentials=context.s3_credentials(),
            opts=opts,
        )

    def stack_outputs(self) -> dict:
        return {"etcdBackupLocation": self.location}
