"""The environment file (`Pulumi.<env>.yaml`) as typed models, and how errors reach the user.

One file describes an environment; each layer reads its own section (`idp:vms`, `idp:cluster`,
`idp:platform`, `idp:projects`) plus `idp:global`, but the whole file is validated every time so a
mistake anywhere is caught before any layer registers a resource. The models are the components'
own `XArgs`, composed here.

Secrets never sit in these sections: they are separate top-level keys (`idp:ldapBindPassword`, ...)
set with `pulumi config set --secret` (or injected by CI), read as Pulumi secrets by the stacks,
and rejected here when written in plain text.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from pydantic import Field, ValidationError, model_validator

from components.model import PATH_ERROR, Fqdn, Model, raise_path_errors, range_addresses
from components.ldap import LdapConfig
from components.platform.metallb import MetalLbArgs, announcer_errors
from components.platform.argo_rollouts import ArgoRolloutsArgs
from components.platform.argocd import ArgoCdArgs
from components.platform.catalog import CATALOG, PLATFORM_NAMESPACES, yaml_key
from components.platform.cert_manager import CertManagerArgs
from components.platform.chart import ChartRef, DeliveryArgs, ServiceArgs
from components.platform.harbor import HarborArgs
from components.platform.renovate import RenovateArgs
from components.platform.service import PlatformService
from components.platform.traefik import TraefikArgs
from components.platform.cosign import CosignArgs
from components.platform.external_secrets import ExternalSecretsArgs
from components.platform.kyverno import SIGNATURE_POLICY, KyvernoArgs
from components.platform.reloader import ReloaderArgs
from components.platform.trivy_operator import TrivyOperatorArgs
from components.platform.vault import VaultArgs
from components.platform.vault_config import VaultConfigArgs
from components.talos.args import ApplyMode, Hours, TalosClusterArgs
from components.tenant.args import TenantProjectArgs, project_isolation_errors
from components.vsphere.vm import VsphereLocation

NAMESPACE = "idp"
LAYERS = ("vms", "cluster", "platform", "projects")

SECRET_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ldapBindPassword": ("password of the LDAP bind account (idp:global.ldap.bindDn)", ("platform",)),
    "s3AccessKeyId": ("access key of the S3 backup bucket (idp:global.s3)", ("platform",)),
    "s3SecretAccessKey": ("secret key of the S3 backup bucket (idp:global.s3)", ("platform",)),
    "gitopsRepoPassword": ("password or access token of the GitOps repository (idp:platform.argocd.gitops)", ("platform",)),
}
"""Secret config keys: what each is, and which layers need it."""


class ConfigError(Exception):
    """Invalid environment configuration; `lines` are ready to print, one problem each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


# ---------------------------------------------------------------------------------------------
# Sections


class S3Config(Model):
    """The S3-compatible object store used for Longhorn, CNPG and etcd backups."""

    endpoint: str = Field(pattern=r"^https?://[^\s/]+(/.*)?$")
    region: str = "us-east-1"
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class GlobalConfig(Model):
    """Settings more than one layer reads."""

    domain: Fqdn
    ldap: LdapConfig
    s3: S3Config
    protect: bool = Field(True, description="protect stateful resources (set false only in throwaway environments)")


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
    renovate: RenovateArgs = Field(default_factory=RenovateArgs)
    vault: VaultArgs = Field(default_factory=VaultArgs)
    vault_config: VaultConfigArgs = Field(default_factory=VaultConfigArgs)
    external_secrets: ExternalSecretsArgs = Field(default_factory=ExternalSecretsArgs)
    cosign: CosignArgs = Field(default_factory=CosignArgs)
    kyverno: KyvernoArgs = Field(default_factory=KyvernoArgs)
    trivy_operator: TrivyOperatorArgs = Field(default_factory=TrivyOperatorArgs)
    reloader: ReloaderArgs = Field(default_factory=ReloaderArgs)

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
                if not getattr(self, need).enabled:
                    errors.append((f"{yaml_key(service.key)}.enabled", f"needs platform.{yaml_key(need)}.enabled: true ({why})"))
        return errors

    def _address_errors(self) -> list[tuple[str, str]]:
        """Traefik's fixed address must come from MetalLB's pool."""
        ip = self.traefik.load_balancer_ip
        if not (self.traefik.enabled and ip):
            return []
        address = ipaddress.ip_address(ip)
        if any(first <= address <= last for first, last in map(range_addresses, self.metallb.addresses)):
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
        raise_path_errors(errors)
        return self


def _metallb_pool_errors(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """The MetalLB pool lives in the node network but never on a node, the gateway or the VIP."""
    cluster = env.vms.cluster
    net = ipaddress.ip_network(cluster.network.cidr)
    taken = {ipaddress.ip_address(n.ip): f"node {n.name}" for n in cluster.nodes}
    taken[ipaddress.ip_address(cluster.network.vip)] = "the control-plane VIP"
    taken[ipaddress.ip_address(cluster.network.gateway)] = "the gateway"
    errors = []
    for i, block in enumerate(env.platform.metallb.addresses):
        first, last = range_addresses(block)
        where = f"platform.metallb.addresses[{i}]"
        if first not in net or last not in net:
            errors.append((where, f"{block} is not inside vms.cluster.network.cidr {net}"))
            continue
        for ip, what in sorted(taken.items()):
            if first <= ip <= last:
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
        for namespace in project.namespaces:
            if namespace in reserved or namespace.startswith("kube-"):
                errors.append((where, f"namespace {namespace} of project {project.name} is reserved for the platform"))
    errors += project_isolation_errors(env.projects)
    return errors


# ---------------------------------------------------------------------------------------------
# Loading and error reporting


def _format_loc(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("function-", "union[")):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def _join(base: str, sub: str) -> str:
    if not base:
        return sub
    return f"{base}{sub}" if sub.startswith("[") else f"{base}.{sub}"


def error_lines(exc: ValidationError) -> list[str]:
    """Flatten pydantic errors to `config error: idp:<path>: <message>`, one line each."""
    lines = []
    for err in exc.errors(include_url=False):
        base = _format_loc(err["loc"])
        if err["type"] == PATH_ERROR:
            for sub, message in err["ctx"]["errors"]:
                lines.append(f"config error: {NAMESPACE}:{_join(base, sub)}: {message}")
            continue
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see stacks/config.py for the allowed keys)"
        elif err["type"] == "missing":
            message = "required key is missing"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        lines.append(f"config error: {NAMESPACE}:{base or '<root>'}: {message}")
    return lines


@dataclass(frozen=True)
class SecretValue:
    """A secret config value as the program sees it: never printed, only passed on as a Pulumi secret."""

    key: str
    value: str | None
    """Plain text only inside the running program (real engine or a test); None when not decrypted."""


def split_config(config: dict[str, Any], secret_keys: set[str]) -> tuple[dict[str, Any], dict[str, SecretValue], list[str]]:
    """Separate the `idp:` sections (parsed JSON/YAML values) from the secret keys.

    `config` maps full keys (`idp:vms`) to values (strings as the engine passes them, or already
    parsed objects). Returns (sections, secrets, errors).
    """
    sections: dict[str, Any] = {}
    secrets: dict[str, SecretValue] = {}
    errors: list[str] = []
    for full_key, value in sorted(config.items()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key in SECRET_KEYS:
            if full_key not in secret_keys:
                errors.append(
                    f"config error: {full_key}: must be a secret: run "
                    f"`pulumi config set --secret {full_key} <value> --config-file Pulumi.<env>.yaml`"
                )
            secrets[key] = SecretValue(full_key, value if isinstance(value, str) else None)
            continue
        if full_key in secret_keys:
            errors.append(f"config error: {full_key}: is a secret, but only {sorted(SECRET_KEYS)} may be secrets")
            continue
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                errors.append(f"config error: {full_key}: not valid JSON/YAML ({exc.msg})")
                continue
        sections[key] = value
    return sections, secrets, errors


@dataclass(frozen=True)
class Environment:
    """A validated environment: its name, the typed sections and its secrets."""

    name: str
    config: EnvironmentConfig
    secrets: dict[str, SecretValue]

    def missing_secrets(self, layer: str) -> list[str]:
        return sorted(k for k, (_, layers) in SECRET_KEYS.items() if layer in layers and k not in self.secrets)


def load_environment(name: str, config: dict[str, Any], secret_keys: set[str]) -> Environment:
    """Validate a whole environment; raise ConfigError listing every problem at once."""
    errors: list[str] = []
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
        errors.append(f"config error: environment name {name!r} is not a DNS-1123 label")
    sections, secrets, split_errors = split_config(config, secret_keys)
    errors += split_errors
    try:
        model = EnvironmentConfig.model_validate(sections)
    except ValidationError as exc:
        raise ConfigError(errors + error_lines(exc)) from None
    if errors:
        raise ConfigError(errors)
    return Environment(name=name, config=model, secrets=secrets)


def require_secrets(env: Environment, layer: str) -> None:
    """Under the real engine every secret a layer uses must be set before anything is registered."""
    missing = env.missing_secrets(layer)
    if missing:
        raise ConfigError(
            [
                f"config error: {NAMESPACE}:{key}: missing ({SECRET_KEYS[key][0]}); set it with "
                f"`pulumi config set --secret {NAMESPACE}:{key} <value> --config-file Pulumi.{env.name}.yaml`"
                for key in missing
            ]
        )
