"""Layer 2, `<env>-cluster` (runner 2, lab VLAN): etcd bootstrap, day-2 apply, kubeconfig.

Reads the vms stack through a typed reference; exports kubeconfig and talosconfig as secrets for
the platform and projects layers and for operators. Once the platform stack exists, its root CA
is applied to every node as day-2 configuration: a `RegistryTLSConfig` for Harbor (image pulls by
the kubelet trust the platform CA) and a `TrustedRootsConfig`. On a new environment the first run
has no CA yet; run this layer again after the platform layer (the platform pipeline does).

With `idp:cluster.existingKubeconfigFile` the layer adopts a running cluster instead: it reads
that kubeconfig on the runner and exports it (and the API server it names), so the platform and
projects layers can be installed on a cluster that Talos did not bootstrap (the CI environment
points it at a local API server).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pulumi
import yaml

from components.talos.bootstrap import TalosBootstrap, TalosBootstrapArgs
from components.talos.patches import platform_ca_documents
from stacks import references
from stacks.program import read_environment


CONFIG_KEY = "idp:cluster.existingKubeconfigFile"


def existing_cluster(path: str) -> tuple[str, str]:
    """(kubeconfig text, API server URL) of the file at `path`; a clear error names the config key."""
    file = Path(path).expanduser()
    try:
        text = file.read_text()
        doc = yaml.safe_load(text)
        clusters = doc.get("clusters") or []
        contexts = {c["name"]: c["context"] for c in doc.get("contexts") or []}
        current = contexts.get(doc.get("current-context"), {}).get("cluster")
        server = next((c["cluster"]["server"] for c in clusters if current in (None, c["name"])), None)
    except OSError as exc:
        raise pulumi.RunError(f"config error: {CONFIG_KEY}: cannot read {file}: {exc.strerror}") from None
    except (yaml.YAMLError, AttributeError, KeyError, TypeError):
        raise pulumi.RunError(f"config error: {CONFIG_KEY}: {file} is not a kubeconfig file") from None
    if not server:
        raise pulumi.RunError(f"config error: {CONFIG_KEY}: {file} names no cluster server")
    return text, server


def main(env_name: str) -> None:
    env = read_environment(env_name, "cluster")
    if env.config.cluster.existing_kubeconfig_file:
        kubeconfig, server = existing_cluster(env.config.cluster.existing_kubeconfig_file)
        pulumi.export("endpoint", server)
        pulumi.export("kubernetesVersion", env.config.vms.cluster.kubernetes_version)
        pulumi.export("kubeconfig", pulumi.Output.secret(kubeconfig))
        return

    async def program() -> None:
        vms = await references.read(env.config.organization, env_name, "vms")
        platform = await references.read_optional(env.config.organization, env_name, "platform", ("rootCaCertificate", "harborUrl"))
        patches = None
        if platform.get("rootCaCertificate") and platform.get("harborUrl"):
            host = urlparse(platform["harborUrl"]).netloc
            patches = [yaml.safe_dump(doc, sort_keys=False) for doc in platform_ca_documents(host, platform["rootCaCertificate"])]
        else:
            pulumi.log.info("no platform root CA yet: nodes will trust it after the platform layer, on the next run of this layer")
        cluster = TalosBootstrap(
            vms.clusterName,
            TalosBootstrapArgs(
                nodes=vms.nodes,
                endpoint=vms.endpoint,
                client_configuration=vms.clientConfiguration,
                machine_configurations=vms.machineConfigurations,
                apply_mode=env.config.cluster.apply_mode,
                kubeconfig_renewal=env.config.cluster.kubeconfig_renewal,
                config_patches=patches,
            ),
        )
        pulumi.export("endpoint", vms.endpoint)
        pulumi.export("kubernetesVersion", vms.kubernetesVersion)
        pulumi.export("talosVersion", vms.talosVersion)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("talosconfig", vms.talosconfig)

    pulumi.run(program)
