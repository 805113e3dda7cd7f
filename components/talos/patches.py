"""Talos machine-configuration patches, one function per concern.

Each function returns one patch document (a dict) that Talos merges into the generated machine
configuration. `node_patches` names and orders them per node; tests validate every document
against the Talos machine-config JSON schema (v1.13: network settings are separate documents such
as `HostnameConfig`, `LinkConfig`, `Layer2VIPConfig`).
"""

from __future__ import annotations

from typing import Callable

from components.talos.args import NodeArgs, TalosClusterArgs

LONGHORN_VOLUME = "longhorn"
LONGHORN_PATH = f"/var/mnt/{LONGHORN_VOLUME}"
"""Where Talos mounts the user volume `longhorn`; Longhorn's `defaultSettings.defaultDataPath`."""
KERNEL_MODULES = ("nbd", "iscsi_tcp", "configfs")


def scheduling_on_control_planes(args: TalosClusterArgs) -> dict:
    """Let workloads run on control planes when the environment is small (configurable)."""
    return {"cluster": {"allowSchedulingOnControlPlanes": args.allow_scheduling_on_control_planes}}


def kube_proxy(args: TalosClusterArgs) -> dict:
    """kube-proxy mode; MetalLB's L2 mode needs strict ARP only when kube-proxy runs in IPVS mode."""
    proxy: dict = {"mode": args.proxy_mode}
    if args.proxy_mode == "ipvs":
        proxy["extraArgs"] = {"ipvs-strict-arp": "true"}
    return {"cluster": {"proxy": proxy}}


def network_policies() -> dict:
    """Enforce Kubernetes NetworkPolicies: Talos deploys kube-network-policies alongside Flannel.

    Flannel on its own routes pod traffic but ignores NetworkPolicies, so the tenant default-deny,
    project ingress and database/broker egress policies would be accepted and never applied. The
    CNI stays Talos' built-in Flannel (`name: flannel`, no manifest URLs); every node carries the
    same cluster network section.
    """
    return {"cluster": {"network": {"cni": {"name": "flannel", "flannel": {"kubeNetworkPoliciesEnabled": True}}}}}


def kernel_modules() -> dict:
    """Modules Longhorn needs: nbd and iscsi_tcp for volumes, configfs for the iSCSI target."""
    return {"machine": {"kernel": {"modules": [{"name": m} for m in KERNEL_MODULES]}}}


def install_image(args: TalosClusterArgs) -> dict:
    """Installer from the Image Factory schematic that carries iscsi-tools and util-linux-tools."""
    return {"machine": {"install": {"disk": args.install.disk, "image": args.installer_image}}}


def kubelet_certificate_rotation() -> dict:
    """Kubelet serving certificates signed by the cluster CA (needed by metrics scraping over TLS)."""
    return {"machine": {"kubelet": {"extraArgs": {"rotate-server-certificates": "true"}}}}


def kubelet_image_gc(args: TalosClusterArgs) -> dict:
    """Image garbage collection: start at 60 % disk use, clean down to 40 %, keep fresh images."""
    gc = args.image_gc
    return {
        "machine": {
            "kubelet": {
                "extraConfig": {
                    "imageGCHighThresholdPercent": gc.high_threshold_percent,
                    "imageGCLowThresholdPercent": gc.low_threshold_percent,
                    "imageMinimumGCAge": gc.minimum_age,
                    "imageMaximumGCAge": gc.maximum_age,
                }
            }
        }
    }


def longhorn_volume(node: NodeArgs) -> dict:
    """Longhorn's data on its own disk: a Talos user volume, mounted at /var/mnt/longhorn.

    The Talos 1.10+ way from Longhorn's Talos guide: a `UserVolumeConfig` instead of a directory on
    the EPHEMERAL partition, so replicas never compete with images and logs for the system disk. The
    disk is the node's second disk (`longhornDiskGiB`); the volume takes all of it.
    """
    return {
        "apiVersion": "v1alpha1",
        "kind": "UserVolumeConfig",
        "name": LONGHORN_VOLUME,
        "provisioning": {
            "diskSelector": {"match": "!system_disk"},
            "minSize": f"{max(1, node.longhorn_disk_gib - 1)}GiB",
            "grow": True,
        },
        "filesystem": {"type": "xfs"},
    }


LONGHORN_DISK_LABEL = "node.longhorn.io/create-default-disk"
"""Longhorn creates its default disk (at its data path) only on nodes labelled with this."""


def longhorn_mount() -> dict:
    """Bind-mount Longhorn's data path into the kubelet with shared propagation (CSI mounts), and
    label the node so Longhorn puts a disk there (`createDefaultDiskLabeledNodes`)."""
    return {
        "machine": {
            "nodeLabels": {LONGHORN_DISK_LABEL: "true"},
            "kubelet": {
                "extraMounts": [
                    {
                        "destination": LONGHORN_PATH,
                        "type": "bind",
                        "source": LONGHORN_PATH,
                        "options": ["bind", "rshared", "rw"],
                    }
                ]
            }
        }
    }


def audit_policy() -> dict:
    """API-server audit policy; Talos writes the log to /var/log/audit/kube/kube-apiserver.log.

    Secrets and tokens are logged at Metadata level so their values never reach the log; writes
    are logged with their request bodies; noisy read-only system traffic is dropped.
    """
    policy = {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"]},
            {"level": "None", "userGroups": ["system:nodes"], "verbs": ["get", "list", "watch"]},
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"]},
            {"level": "None", "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}]},
            {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
            {
                "level": "Metadata",
                "resources": [
                    {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                    {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
                ],
            },
            {"level": "Request", "verbs": ["create", "update", "patch", "delete", "deletecollection"]},
            {"level": "Metadata"},
        ],
    }
    return {"cluster": {"apiServer": {"auditPolicy": policy}}}


def hostname(node: NodeArgs) -> dict:
    """A fixed hostname equal to the node (and VM) name."""
    return {"apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "off", "hostname": node.name}


def static_address(args: TalosClusterArgs, node: NodeArgs) -> dict:
    """The node's static address and default route on its one interface."""
    prefix = args.network.cidr.prefixlen
    return {
        "apiVersion": "v1alpha1",
        "kind": "LinkConfig",
        "name": args.network.interface,
        "up": True,
        "addresses": [{"address": f"{node.ip}/{prefix}"}],
        "routes": [{"destination": "0.0.0.0/0", "gateway": str(args.network.gateway)}],
    }


def resolvers(args: TalosClusterArgs) -> dict:
    """DNS servers of the environment (the AD domain controllers, typically)."""
    return {
        "apiVersion": "v1alpha1",
        "kind": "ResolverConfig",
        "nameservers": [{"address": str(ns)} for ns in args.network.nameservers],
    }


def control_plane_vip(args: TalosClusterArgs) -> dict:
    """Shared layer-2 VIP for the Kubernetes API, held by one healthy control plane at a time."""
    return {"apiVersion": "v1alpha1", "kind": "Layer2VIPConfig", "name": str(args.network.vip), "link": args.network.interface}


ETCD_METRICS_PORT = 2381


def control_plane_metrics() -> dict:
    """Let vmagent scrape the control plane: Talos binds kube-controller-manager and kube-scheduler
    to 127.0.0.1, and etcd serves its metrics only on its client port (mutual TLS). Both serving
    endpoints keep their authentication (delegated to the API server); etcd's plain-HTTP metrics
    listener exposes metrics and health only."""
    return {
        "cluster": {
            "controllerManager": {"extraArgs": {"bind-address": "0.0.0.0"}},
            "scheduler": {"extraArgs": {"bind-address": "0.0.0.0"}},
            "etcd": {"extraArgs": {"listen-metrics-urls": f"http://0.0.0.0:{ETCD_METRICS_PORT}"}},
        }
    }


def talos_api_access(args: TalosClusterArgs) -> dict:
    """Allow the etcd backup job's namespace to take snapshots through the Talos API."""
    return {
        "machine": {
            "features": {
                "kubernetesTalosAPIAccess": {
                    "enabled": True,
                    "allowedRoles": ["os:etcd:backup"],
                    "allowedKubernetesNamespaces": [args.etcd_backup_namespace],
                }
            }
        }
    }


def node_patches(args: TalosClusterArgs, node: NodeArgs) -> list[tuple[str, dict]]:
    """The named patch documents for one node, in the order they are applied."""
    common: list[tuple[str, Callable[[], dict]]] = [
        ("kube-proxy", lambda: kube_proxy(args)),
        ("kernel-modules", kernel_modules),
        ("install-image", lambda: install_image(args)),
        ("kubelet-certificate-rotation", kubelet_certificate_rotation),
        ("kubelet-image-gc", lambda: kubelet_image_gc(args)),
        ("hostname", lambda: hostname(node)),
        ("static-address", lambda: static_address(args, node)),
        ("resolvers", lambda: resolvers(args)),
    ]
    if args.network_policies:
        common.append(("network-policies", network_policies))
    control_plane: list[tuple[str, Callable[[], dict]]] = [
        ("scheduling-on-control-planes", lambda: scheduling_on_control_planes(args)),
        ("audit-policy", audit_policy),
        ("control-plane-vip", lambda: control_plane_vip(args)),
        ("talos-api-access", lambda: talos_api_access(args)),
    ]
    if args.control_plane_metrics:
        control_plane.append(("control-plane-metrics", control_plane_metrics))
    longhorn: list[tuple[str, Callable[[], dict]]] = [
        ("longhorn-volume", lambda: longhorn_volume(node)),
        ("longhorn-mount", longhorn_mount),
    ]
    chosen = common + (longhorn if node.longhorn_disk_gib else []) + (control_plane if node.role == "controlplane" else [])
    return [(name, build()) for name, build in chosen]


def registry_tls(host: str, ca_pem: str) -> dict:
    """Talos 1.13 `RegistryTLSConfig`: image pulls from `host` (by Talos and every pod) trust the platform CA."""
    return {"apiVersion": "v1alpha1", "kind": "RegistryTLSConfig", "name": host, "ca": ca_pem}


def trusted_roots(ca_pem: str) -> dict:
    """Talos `TrustedRootsConfig`: the node itself trusts the platform CA (Talos API clients, discovery)."""
    return {"apiVersion": "v1alpha1", "kind": "TrustedRootsConfig", "name": "platform-root-ca", "certificates": ca_pem}


def platform_ca_documents(registry_host: str, ca_pem: str) -> list[dict]:
    """The day-2 documents the cluster layer applies once the platform has a root CA."""
    return [registry_tls(registry_host, ca_pem), trusted_roots(ca_pem)]
