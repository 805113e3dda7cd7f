"""ProjectObjectStore: where the databases of one project namespace back up to.

The base chart's `database.backup` points a CloudNativePG `Cluster` at the Barman Cloud
`ObjectStore` named `backups` in its own namespace; this component is that ObjectStore. Each
namespace writes under its own prefix of the platform's bucket, `s3://<bucket>/cnpg/<namespace>/`
(staging and production databases of the same app never share a folder), with the platform's S3
credentials in a Secret the projects stack writes (a team never supplies or sees a key of its own
in config; see docs/runbooks/cnpg-restore.md for restores).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.model import Resources
from components.s3 import DATABASE_PREFIX, S3Config, S3Credentials, credentials_secret
from components.tenant.labels import project_labels

OBJECT_STORE = "backups"
"""The name the base chart's `database.backup.objectStore` defaults to."""
CREDENTIALS = "backups-s3"
API_VERSION = "barmancloud.cnpg.io/v1"


@dataclass(frozen=True)
class TenantBackups:
    """What the platform gives every project namespace for database backups."""

    s3: S3Config
    credentials: S3Credentials
    retention: str = "30d"
    """Base backups and WAL older than this are removed (`[1-9][0-9]*[dwm]`)."""
    sidecar: Resources = Resources(requests_cpu="50m", requests_memory="64Mi", limits_memory="256Mi")
    """Resources of the plugin's sidecar in every database pod (the namespace quota counts it)."""


def object_store_spec(backups: TenantBackups, namespace: str) -> dict:
    """`spec` of the ObjectStore (plugin-barman-cloud v0.13.0 CRD)."""
    s3 = backups.s3
    key = lambda k: {"name": CREDENTIALS, "key": k}  # noqa: E731
    return {
        "retentionPolicy": backups.retention,
        "instanceSidecarConfiguration": {"resources": backups.sidecar.to_k8s()},
        "configuration": {
            "destinationPath": s3.url(DATABASE_PREFIX, namespace),
            "endpointURL": s3.endpoint,
            "s3Credentials": {
                "accessKeyId": key("AWS_ACCESS_KEY_ID"),
                "secretAccessKey": key("AWS_SECRET_ACCESS_KEY"),
                "region": key("AWS_REGION"),
            },
            "wal": {"compression": "gzip"},
            "data": {"compression": "gzip"},
        },
    }


class ProjectObjectStore(pulumi.ComponentResource):
    """The S3 credential Secret and the `backups` ObjectStore of one project namespace."""

    name: str
    """ObjectStore name (`database.backup.objectStore` of the base chart)."""
    destination: str
    """`s3://<bucket>/cnpg/<namespace>/`."""

    def __init__(
        self,
        name: str,
        *,
        project: str,
        namespace: str,
        backups: TenantBackups,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:tenant:ProjectObjectStore", name, {}, opts)
        s3 = backups.s3
        labels = project_labels(project, "backups")
        secret = credentials_secret(
            f"{name}-s3-credentials",
            name=CREDENTIALS,
            namespace=namespace,
            credentials=backups.credentials,
            extra={"AWS_REGION": s3.region},
            labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-object-store",
            api_version=API_VERSION,
            kind="ObjectStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OBJECT_STORE, namespace=namespace, labels=labels),
            spec=object_store_spec(backups, namespace),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret]),
        )
        self.name = OBJECT_STORE
        self.destination = s3.url(DATABASE_PREFIX, namespace)
        self.register_outputs({"name": self.name, "destination": self.destination})
