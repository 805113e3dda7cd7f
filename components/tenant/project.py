"""TenantProject: everything one team's project owns, created from one config entry.

Namespaces `<project>-<env>` carry `managed-by: idp-platform`, which makes the Kyverno generate
policy add the default-deny network policies.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.platform.chart import namespace_labels
from components.tenant.args import TenantProjectArgs


class TenantProject(pulumi.ComponentResource):
    """A project's namespaces (and, as the tenant plane grows, its Argo CD, Vault and Harbor parts)."""

    namespaces: list[str]
    """The project's namespaces, one per environment."""

    def __init__(self, name: str, args: TenantProjectArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:tenant:Project", name, {}, opts)
        self.namespaces = args.namespaces
        for env, namespace in zip(args.environments, args.namespaces):
            k8s.core.v1.Namespace(
                f"{name}-{env}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=namespace,
                    labels={
                        **namespace_labels("restricted"),
                        "idp.platform/project": args.name,
                        "idp.platform/environment": env,
                    },
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"namespaces": self.namespaces})
