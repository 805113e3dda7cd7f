"""TalosBootstrap: day-2 configuration apply on every node, etcd bootstrap once, kubeconfig.

Runs in the cluster stack (runner 2, which reaches the node network). The configurations come
from the vms stack; applying them again is a no-op until a patch changes, and then the change is
rolled out in `apply_mode` (by default without unplanned reboots). Bootstrap is a one-time
operation on the first control plane: it stays in state and is never repeated.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumiverse_talos as talos
from pydantic import ConfigDict, Field

from components.model import Model
from components.talos.args import ApplyMode, Hours, NodeRef


class TalosBootstrapArgs(Model):
    """The nodes and configurations from the vms layer, and how day-2 changes are applied."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    nodes: list[NodeRef] = Field(min_length=1)
    endpoint: str
    client_configuration: Any = Field(description="Output (secret) with caCertificate, clientCertificate, clientKey")
    machine_configurations: Any = Field(description="Output (secret) mapping node name to machine configuration")
    apply_mode: ApplyMode = "auto"
    kubeconfig_renewal: Hours = "720h"


def _client_configuration(config: Any) -> Any:
    """Accept the exported camelCase or snake_case shape of the Talos client configuration."""
    return pulumi.Output.from_input(config).apply(
        lambda c: {
            "ca_certificate": c.get("caCertificate", c.get("ca_certificate")),
            "client_certificate": c.get("clientCertificate", c.get("client_certificate")),
            "client_key": c.get("clientKey", c.get("client_key")),
        }
    )


class TalosBootstrap(pulumi.ComponentResource):
    """Apply configurations, bootstrap etcd, and fetch the cluster's kubeconfig."""

    kubeconfig: pulumi.Output[str]
    """Admin kubeconfig (secret), renewed before its client certificate expires."""

    def __init__(self, name: str, args: TalosBootstrapArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:talos:TalosBootstrap", name, {}, opts)
        client = pulumi.Output.secret(_client_configuration(args.client_configuration))
        configs = pulumi.Output.secret(args.machine_configurations)
        applies = [
            talos.machine.ConfigurationApply(
                f"{name}-apply-{node.name}",
                node=node.ip,
                endpoint=node.ip,
                client_configuration=client,
                machine_configuration_input=configs.apply(lambda c, n=node.name: c[n]),
                apply_mode=args.apply_mode,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for node in args.nodes
        ]
        first = next(n for n in args.nodes if n.role == "controlplane")
        bootstrap = talos.machine.Bootstrap(
            f"{name}-bootstrap",
            node=first.ip,
            endpoint=first.ip,
            client_configuration=client,
            opts=pulumi.ResourceOptions(parent=self, depends_on=applies),
        )
        kubeconfig = talos.cluster.Kubeconfig(
            f"{name}-kubeconfig",
            node=first.ip,
            endpoint=first.ip,
            client_configuration=client,
            certificate_renewal_duration=args.kubeconfig_renewal,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[bootstrap], additional_secret_outputs=["kubeconfigRaw", "kubernetesClientConfiguration"]
            ),
        )
        self.kubeconfig = pulumi.Output.secret(kubeconfig.kubeconfig_raw)
        self.register_outputs({"kubeconfig": self.kubeconfig})
