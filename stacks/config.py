"""The environment file (`Pulumi.<env>.yaml`) as typed models.

One file describes an environment; each layer reads its own section (`idp:vms`, `idp:cluster`,
`idp:platform`, `idp:projects`) plus `idp:global`, but the whole file is validated every time so a
mistake anywhere is caught before any layer registers a resource. The models are the components'
own `XArgs`, composed here.

Secrets never sit in these sections: they are separate top-level keys (`idp:ldapDexBindPassword`, ...)
set with `pulumi config set --secret` (or injected by CI), read as Pulumi secrets by the stacks,
and rejected when written in plain text. Reading the file, splitting its keys and reporting
problems is `stacks/loading.py`.
"""

from __future__ import annotations


from pydantic import Field, model_validator

from components.model import Fqdn, Hours, Model, raise_path_errors
from components.ldap import BIND_PASSWORD_KEYS, LdapConfig
from components.s3 import S3Config
from components.support import SupportContact
from components.platform.metallb import MetalLbArgs, announcer_errors
from components.platform.argo_rollouts import ArgoRolloutsArgs
from components.platform.argocd import ArgoCdArgs
from components.platform.catalog import BY_KEY, CATALOG, PLATFORM_NAMESPACES, yaml_key
from components.platform.cert_manager import CertManagerArgs
from components.platform.cloudnative_pg import CloudNativePgArgs
from components.platform.etcd_backup import EtcdBackupArgs
from components.platform.kubelet_csr_approver import KubeletCsrApproverArgs
from components.platform.longhorn import LonghornArgs
from components.platform.rabbitmq_operator import RabbitMqOperatorArgs
from components.platform.chart import ChartRef, DeliveryArgs, ServiceArgs
from components.platform.harbor import HarborArgs
from components.platform.renovate import RenovateArgs
from components.platform.service import PlatformService
from components.platform.traefik import TraefikArgs
from components.platform.cosign import CosignArgs
from components.platform.external_secrets import ExternalSecretsArgs
from components.platform.kyverno import SIGNATURE_POLICY, KyvernoArgs
from components.platform.reloader import ReloaderArgs
from components.platform.portal import PortalArgs
from components.platform.trivy_operator import TrivyOperatorArgs
from components.platform.vault import VaultArgs
from components.platform.artifacts import PlatformArtifactsArgs
from components.platform.vault_config import VaultConfigArgs
from components.platform.alertmanager import AlertmanagerArgs
from components.platform.grafana import GrafanaArgs
from components.platform.logs_collector import LogsCollectorArgs
from components.platform.vector import VectorArgs
from components.platform.victoria_logs import VictoriaLogsArgs
from components.platform.victoria_metrics import VictoriaMetricsStackArgs
from components.talos.args import ApplyMode, TalosClusterArgs
from components.tenant.args import RESERVED_PROJECT_NAMES, TenantProjectArgs, project_isolation_errors
from components.vsphere.vm import VsphereLocation

NAMESPACE = "idp"
LAYERS = ("vms", "cluster", "platform", "projects")

SECRET_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    **{
        key: (f"password of {client}'s own LDAP bind account (idp:global.ldap.bindDns.{client})", ("platform",))
        for client, key in BIND_PASSWORD_KEYS.items()
    },
    "teamsWebhookUrl": ("Microsoft Teams Workflows webhook URL of Alertmanager (idp:platform.alertmanager)", ("platform",)),
    "s3AccessKeyId": ("access key of the S3 backup bucket (idp:global.s3)", ("platform", "projects")),
    "s3SecretAccessKey": ("secret key of the S3 backup bucket (idp:global.s3)", ("platform", "projects")),
    "gitopsRepoPassword": ("password or access token of the GitOps repository (idp:platform.argocd.gitops)", ("platform",)),
}
"""Secret config keys: what each is, and which layers need it."""

REPLACED_SECRET_KEYS = {
    "ldapBindPassword": "one bind password per component: " + ", ".join(f"idp:{k}" for k in BIND_PASSWORD_KEYS.values()),
}
"""Secret keys that no longer exist, and what replaced them (named in the error)."""


# ---------------------------------------------------------------------------------------------
# Sections


class GlobalConfig(Model):
    """Settings more than one layer reads."""

    domain: Fqdn
    ldap: LdapConfig
    s3: S3Config
    protect: bool = Field(True, description="protect stateful resources (set false only in throwaway environments)")
    support: list[SupportContact] = Field(default_factory=list, description="support contacts shown in the portal")


class VmsConfig(Model):
    """Layer 1 (runner 1, vCenter VLAN): VMs and Talos machine configurations."""

    vsphere: VsphereLocation
    cluster: TalosClusterArgs
    create_tag_categories: bool = True


class ClusterConfig(Model):
    """Layer 2 (runner 2, lab VLAN): bootstrap and day-2 configuration apply."""

    apply_mode: ApplyMode = "auto"
    kubeconfig_renewal: Hours = "720h"
    existing_kubeconfig_file: str | None = Field(
        None,
        description="adopt a running cluster instead of bootstrapping Talos: the path of its kubeconfig on "
        "the runner (the layer exports it as a secret and does not read the vms stack)",
    )
    helm_releases: bool = Field(
        True,
        description="false: the platform layer declares every object except its Helm releases (a cluster that "
        "cannot run or download charts, such as the ci environment's local API server without nodes)",
    )


class PlatformConfig(Model):
    """Layer 3: platform services, one key per catalog service (`components/platform/catalog.py`).

    The rules that tie services together live here, derived from what each service declares:
    bootstrap services are delivered by Helm, Argo CD delivers only when it is enabled, and a
    service needs the services it names (an ingress needs Traefik and cert-manager).
    """

    metallb: MetalLbArgs
    # Every other key is optional; Renovate is off until configured.
    cert_manager: CertManagerArgs = Field(default_factory=CertManagerArgs)
    traefik: TraefikArgs = Field(default_factory=TraefikArgs)
    argocd: ArgoCdArgs = Field(default_factory=ArgoCdArgs)
    argo_rollouts: ArgoRolloutsArgs = Field(default_factory=ArgoRolloutsArgs)
    harbor: HarborArgs = Field(default_factory=HarborArgs)
    portal: PortalArgs = Field(default_factory=PortalArgs)
    renovate: RenovateArgs = Field(default_factory=RenovateArgs)
    vault: VaultArgs = Field(default_factory=VaultArgs)
    vault_config: VaultConfigArgs = Field(default_factory=VaultConfigArgs)
    external_secrets: ExternalSecretsArgs = Field(default_factory=ExternalSecretsArgs)
    cosign: CosignArgs = Field(default_factory=CosignArgs)
    artifacts: PlatformArtifactsArgs = Field(default_factory=PlatformArtifactsArgs)
    kyverno: KyvernoArgs = Field(default_factory=KyvernoArgs)
    trivy_operator: TrivyOperatorArgs = Field(default_factory=TrivyOperatorArgs)
    reloader: ReloaderArgs = Field(default_factory=ReloaderArgs)
    # Storage and data plane.
    kubelet_csr_approver: KubeletCsrApproverArgs = Field(default_factory=KubeletCsrApproverArgs)
    etcd_backup: EtcdBackupArgs = Field(default_factory=EtcdBackupArgs)
    longhorn: LonghornArgs = Field(default_factory=LonghornArgs)
    cloudnative_pg: CloudNativePgArgs = Field(default_factory=CloudNativePgArgs)
    rabbitmq_operator: RabbitMqOperatorArgs = Field(default_factory=RabbitMqOperatorArgs)
    # Observability.
    victoria_metrics: VictoriaMetricsStackArgs = Field(default_factory=VictoriaMetricsStackArgs)
    alertmanager: AlertmanagerArgs = Field(default_factory=AlertmanagerArgs)
    victoria_logs: VictoriaLogsArgs = Field(default_factory=VictoriaLogsArgs)
    logs_collector: LogsCollectorArgs = Field(default_factory=LogsCollectorArgs)
    vector: VectorArgs = Field(default_factory=VectorArgs)
    grafana: GrafanaArgs = Field(default_factory=GrafanaArgs)

    def service_args(self, service: type[PlatformService]) -> ServiceArgs:
        """The config section of a catalog service."""
        args = getattr(self, service.key)
        assert isinstance(args, service.args_type)
        return args

    def argocd_charts(self) -> list[ChartRef]:
        """Charts of the enabled services Argo CD delivers (its `platform` project must allow their repositories)."""
        return [
            args.chart
            for args in map(self.service_args, CATALOG)
            if args.enabled and isinstance(args, DeliveryArgs) and args.delivery == "argocd"
        ]

    @model_validator(mode="after")
    def _services_fit_together(self) -> "PlatformConfig":
        raise_path_errors(self._delivery_errors() + self._needs_errors() + self._address_errors() + self._policy_errors())
        return self

    def _delivery_errors(self) -> list[tuple[str, str]]:
        """Bootstrap services come by Helm; `delivery: argocd` needs Argo CD."""
        errors = []
        for service in CATALOG:
            args = self.service_args(service)
            if not args.enabled or not isinstance(args, DeliveryArgs):
                continue
            where = f"{yaml_key(service.key)}.delivery"
            if service.bootstrap and args.delivery != "helm":
                errors.append((where, "must be `helm`: Argo CD itself needs this service first"))
            if args.delivery == "argocd" and not self.argocd.enabled:
                errors.append((where, "`argocd` needs platform.argocd.enabled: true"))
        return errors

    def _needs_errors(self) -> list[tuple[str, str]]:
        """An enabled service needs every service it names (with an ingress: Traefik and cert-manager)."""
        errors = []
        for service in CATALOG:
            args = self.service_args(service)
            if not args.enabled:
                continue
            for need, why in service.requires(args).items():
                if not self.service_args(BY_KEY[need]).enabled:
                    errors.append((f"{yaml_key(service.key)}.enabled", f"needs platform.{yaml_key(need)}.enabled: true ({why})"))
        return errors

    def _address_errors(self) -> list[tuple[str, str]]:
        """Traefik's fixed address must come from MetalLB's pool."""
        ip = self.traefik.load_balancer_ip
        if not (self.traefik.enabled and ip):
            return []
        if any(ip in block for block in self.metallb.addresses):
            return []
        return [("traefik.loadBalancerIp", f"{ip} is not in platform.metallb.addresses")]

    def _policy_errors(self) -> list[tuple[str, str]]:
        """The signature policy verifies with cosign's public key."""
        if self.kyverno.enabled and SIGNATURE_POLICY in self.kyverno.policies and not self.cosign.enabled:
            return [("kyverno.policies", f"{SIGNATURE_POLICY} needs platform.cosign.enabled: true (its public key)")]
        return []



class EnvironmentConfig(Model):
    """The whole `idp:` namespace of an environment file."""

    organization: str = Field("organization", description="backend organization in stack reference names")
    global_: GlobalConfig = Field(alias="global")
    vms: VmsConfig
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    platform: PlatformConfig
    projects: list[TenantProjectArgs] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_section(self) -> "EnvironmentConfig":
        errors: list[tuple[str, str]] = []
        errors += _metallb_pool_errors(self)
        errors += announcer_errors([n.role for n in self.vms.cluster.nodes], self.platform.metallb)
        errors += _project_errors(self)
        errors += _storage_errors(self)
        raise_path_errors(errors)
        return self


def _storage_errors(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """Backups that can be restored and volumes that are not born degraded.

    etcd snapshots are encrypted to a key only the operators hold: no key, no backup. Longhorn keeps
    each replica of a volume on a different node with a Longhorn disk.
    """
    errors = []
    if env.platform.etcd_backup.enabled and not env.platform.etcd_backup.age_public_key:
        errors.append((
            "platform.etcdBackup.agePublicKey",
            "required when etcd backups are enabled: the age recipient the snapshots are encrypted to "
            "(`age-keygen -o etcd-backup.key` offline, then `age-keygen -y etcd-backup.key`), or set etcdBackup.enabled: false",
        ))
    if not env.platform.longhorn.enabled:
        return errors
    disks = [n.name for n in env.vms.cluster.nodes if n.longhorn_disk_gib]
    where = "vms.cluster.nodes[*].longhornDiskGiB"
    if not disks:
        return [*errors, ("platform.longhorn.enabled", f"no node has a Longhorn disk ({where}); give the nodes that run workloads one")]
    for key, replicas in (("platform.longhorn.replicaCount", env.platform.longhorn.replica_count),
                          ("platform.vault.longhornReplicas", env.platform.vault.longhorn_replicas if env.platform.vault.enabled else 0)):
        if replicas > len(disks):
            errors.append((key, f"{replicas} replicas but only {len(disks)} node(s) have a Longhorn disk ({', '.join(disks)}); "
                                f"every volume would stay degraded: lower it or add disks ({where})"))
    return errors


def _metallb_pool_errors(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """The MetalLB pool lives in the node network but never on a node, the gateway or the VIP."""
    cluster = env.vms.cluster
    net = cluster.network.cidr
    taken = {n.ip: f"node {n.name}" for n in cluster.nodes}
    taken[cluster.network.vip] = "the control-plane VIP"
    taken[cluster.network.gateway] = "the gateway"
    errors = []
    for i, block in enumerate(env.platform.metallb.addresses):
        where = f"platform.metallb.addresses[{i}]"
        if block.first not in net or block.last not in net:
            errors.append((where, f"{block} is not inside vms.cluster.network.cidr {net}"))
            continue
        if net.network_address in block or net.broadcast_address in block:
            errors.append((where, f"{block} contains the network or broadcast address of {net}"))
        for ip, what in sorted(taken.items()):
            if ip in block:
                errors.append((where, f"{block} contains {ip}, which is {what}"))
    return errors


def reserved_namespaces(env: EnvironmentConfig) -> set[str]:
    """Namespaces the platform owns; no project may take them."""
    return {"default", *PLATFORM_NAMESPACES, env.vms.cluster.etcd_backup_namespace}


def _project_errors(env: EnvironmentConfig) -> list[tuple[str, str]]:
    errors = []
    reserved = reserved_namespaces(env)
    seen: dict[str, int] = {}
    for i, project in enumerate(env.projects):
        where = f"projects[{i}].name"
        if project.name in seen:
            errors.append((where, f"{project.name} is already used by projects[{seen[project.name]}]"))
        seen.setdefault(project.name, i)
        if project.name in reserved or project.name.startswith("kube-"):
            errors.append((where, f"{project.name} is reserved for the platform (default, kube-*, platform namespaces)"))
        elif project.name == env.platform.vault_config.kv_path and project.name not in RESERVED_PROJECT_NAMES:
            errors.append((where, f"{project.name} is the platform's Vault KV mount (platform.vaultConfig.kvPath)"))
        for namespace in project.namespaces:
            if namespace in reserved or namespace.startswith("kube-"):
                errors.append((where, f"namespace {namespace} of project {project.name} is reserved for the platform"))
    errors += project_isolation_errors(env.projects)
    return errors
