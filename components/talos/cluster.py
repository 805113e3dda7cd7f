"""TalosCluster: the cluster's machine secrets and one machine configuration per node.

Runs in the vms stack (runner 1): the configurations are injected into the VMs as guestinfo, and
exported (as secrets) so the cluster stack on runner 2 can bootstrap and apply day-2 changes.
The machine secrets are the cluster's identity (CAs, tokens); they are protected so a mistaken
destroy cannot regenerate them and orphan every node.
"""

from __future__ import annotations

import pulumi
import pulumiverse_talos as talos
import yaml

from components.talos.args import TalosClusterArgs
from components.talos.patches import node_patches


def patch_yaml(name: str, document: dict) -> str:
    """One patch as YAML, headed by its name so a rendered configuration says where it came from."""
    return f"# patch: {name}\n" + yaml.safe_dump(document, sort_keys=False)


class TalosCluster(pulumi.ComponentResource):
    """Machine secrets, per-node machine configurations and the Talos client configuration."""

    machine_secrets: pulumi.Output[dict]
    """The cluster's secret bundle (CAs, tokens): a Pulumi secret."""
    client_configuration: pulumi.Output[dict]
    """Client certificate and CA for talosctl and the cluster stack: a Pulumi secret."""
    machine_configurations: dict[str, pulumi.Output[str]]
    """Machine configuration per node name, patches applied: Pulumi secrets."""
    talosconfig: pulumi.Output[str]
    """A talosconfig file for operators: a Pulumi secret."""
    endpoint: str
    """The Kubernetes API endpoint (VIP)."""

    def __init__(self, name: str, args: TalosClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("idp:talos:TalosCluster", name, {}, opts)
        self.endpoint = args.endpoint

        secrets = talos.machine.Secrets(
            f"{name}-secrets",
            talos_version=args.talos_version,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                additional_secret_outputs=["machineSecrets", "clientConfiguration"],
            ),
        )
        self.machine_secrets = pulumi.Output.secret(secrets.machine_secrets)
        self.client_configuration = pulumi.Output.secret(secrets.client_configuration)
        self.machine_configurations = {
            node.name: self._machine_configuration(args, node, secrets) for node in args.nodes
        }
        self.talosconfig = pulumi.Output.secret(
            talos.client.get_configuration_output(
                cluster_name=args.name,
                client_configuration=secrets.client_configuration,
                endpoints=[str(n.ip) for n in args.control_planes],
                nodes=[str(n.ip) for n in args.nodes],
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).talos_config
        )
        self.register_outputs(
            {
                "machineSecrets": self.machine_secrets,
                "clientConfiguration": self.client_configuration,
                "machineConfigurations": self.machine_configurations,
                "talosconfig": self.talosconfig,
                "endpoint": self.endpoint,
            }
        )

    def _machine_configuration(self, args, node, secrets) -> pulumi.Output[str]:
        config = talos.machine.get_configuration_output(
            cluster_name=args.name,
            cluster_endpoint=args.endpoint,
            machine_type=node.role,
            machine_secrets=secrets.machine_secrets,
            talos_version=args.talos_version,
            kubernetes_version=args.kubernetes_version,
            config_patches=[patch_yaml(n, d) for n, d in node_patches(args, node)],
            docs=False,
            examples=False,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return pulumi.Output.secret(config.machine_configuration)
