"""The S3-compatible backup store (`idp:global.s3`), shared by everything that backs up.

Longhorn's backup target, the etcd snapshots of talos-backup and every project's CloudNativePG
`ObjectStore` write to one bucket, each under its own prefix, with the platform's credentials
(`idp:s3AccessKeyId`, `idp:s3SecretAccessKey`: secret config values, never in this model).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from components.model import HttpUrl, Model

LONGHORN_PREFIX = "longhorn"
ETCD_PREFIX = "etcd"
DATABASE_PREFIX = "cnpg"
"""Prefixes inside the bucket, one per kind of backup."""


class S3Config(Model):
    """The S3-compatible object store used for Longhorn, CNPG and etcd backups."""

    endpoint: HttpUrl
    region: str = "us-east-1"
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

    def url(self, *path: str) -> str:
        """`s3://<bucket>/<path...>/`, the form Barman Cloud takes."""
        return "/".join([f"s3://{self.bucket}", *path]) + "/"

    def longhorn_target(self) -> str:
        """Longhorn's backup target URL: `s3://<bucket>@<region>/<prefix>/`."""
        return f"s3://{self.bucket}@{self.region}/{LONGHORN_PREFIX}/"

    @property
    def host(self) -> str:
        return urlparse(self.endpoint).hostname or ""


class S3Credentials:
    """The platform's S3 key pair, as Pulumi secrets (read from secret config by the stacks)."""

    def __init__(self, access_key_id: pulumi.Input[str], secret_access_key: pulumi.Input[str]):
        self.access_key_id = pulumi.Output.secret(access_key_id)
        self.secret_access_key = pulumi.Output.secret(secret_access_key)


def credentials_secret(
    resource_name: str,
    *,
    name: str,
    namespace: str,
    credentials: S3Credentials,
    extra: dict[str, pulumi.Input[str]] | None = None,
    labels: dict[str, str] | None = None,
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """A Secret with `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (the names Longhorn, Barman and the
    AWS SDK read), plus `extra` keys; its whole `stringData` is a Pulumi secret."""
    data = pulumi.Output.all(credentials.access_key_id, credentials.secret_access_key, extra or {}).apply(
        lambda v: {"AWS_ACCESS_KEY_ID": v[0], "AWS_SECRET_ACCESS_KEY": v[1], **v[2]}
    )
    return k8s.core.v1.Secret(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels),
        type="Opaque",
        string_data=pulumi.Output.secret(data),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["stringData", "data"])),
    )
