"""Layer 3, `<env>-platform` (runner 2): every platform service, from `idp:platform`.

Reads the cluster stack for the kubeconfig; every component gets the cluster's Kubernetes
provider. Each component can be disabled (`enabled: false`) and switched between Helm and
Argo CD delivery (`delivery:`). Exports what the projects layer and operators need.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.platform.metallb import MetalLb
from components.platform.argo_rollouts import ArgoRollouts
from components.platform.argocd import ArgoCd
from components.platform.cert_manager import CertManager, IngressTls
from components.platform.harbor import Harbor
from components.platform.renovate import Renovate
from components.platform.traefik import Traefik
from components.platform.cosign import Cosign
from components.platform.external_secrets import ExternalSecrets
from components.platform.kyverno import Kyverno
from components.platform.reloader import Reloader
from components.platform.trivy_operator import TrivyOperator
from components.platform.vault import Vault
from components.platform.vault_config import VaultConfig, ldap_binding
from stacks import references
from stacks.config import Environment
from stacks.program import read_environment, secret


@dataclass
class ServicesI:
    """The delivery and ingress core, for the components that must come after it."""

    cert_manager: CertManager | None = None
    traefik: Traefik | None = None
    argocd: ArgoCd | None = None
    harbor: Harbor | None = None


def _after(opts: pulumi.ResourceOptions, args, argocd: ArgoCd | None, *more) -> pulumi.ResourceOptions:
    """`opts` plus the dependencies of a component: Argo CD (and its AppProject) when it delivers it."""
    depends = [r for r in more if r is not None]
    if getattr(args, "delivery", "helm") == "argocd" and argocd is not None:
        depends.append(argocd)
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends))


def services_i(env: Environment, opts: pulumi.ResourceOptions, urls: dict, metallb: MetalLb | None) -> ServicesI:
    """MetalLB -> cert-manager (CA chain) -> Traefik -> Argo CD -> Argo Rollouts, Harbor (issue 4)."""
    platform, domain, ldap = env.config.platform, env.config.global_.domain, env.config.global_.ldap
    core = ServicesI()
    if platform.cert_manager.enabled:
        core.cert_manager = CertManager("cert-manager", platform.cert_manager, opts=opts)
        pulumi.export("rootCaCertificate", core.cert_manager.root_ca_certificate)
    if core.cert_manager is None:
        return core  # every other service here needs the issuer (validated in config)
    tls = IngressTls(domain=domain, issuer=core.cert_manager.issuer)
    if platform.traefik.enabled:
        # Helm waits for the LoadBalancer address, which needs MetalLB's pool.
        core.traefik = Traefik("traefik", platform.traefik, tls, opts=_after(opts, platform.traefik, None, metallb))
        if core.traefik.dashboard_url:
            urls["traefik"] = core.traefik.dashboard_url
            pulumi.export("traefikDashboardPassword", core.traefik.dashboard_password)
    if platform.argocd.enabled:
        by_argocd = [
            c.chart
            for c in (getattr(platform, f) for f in type(platform).model_fields)
            if getattr(c, "enabled", False) and getattr(c, "delivery", "helm") == "argocd" and hasattr(c, "chart")
        ]
        core.argocd = ArgoCd(
            "argocd",
            platform.argocd,
            tls,
            ldap=ldap,
            ldap_bind_password=secret(env, "ldapBindPassword"),
            git_password=secret(env, "gitopsRepoPassword"),
            charts=by_argocd,
            opts=_after(opts, platform.argocd, None, core.traefik),
        )
        urls["argocd"] = core.argocd.url
    if platform.argo_rollouts.enabled:
        rollouts = ArgoRollouts(
            "argo-rollouts", platform.argo_rollouts, tls, opts=_after(opts, platform.argo_rollouts, core.argocd, core.traefik)
        )
        urls["rollouts"] = rollouts.dashboard_url
    if platform.harbor.enabled:
        core.harbor = Harbor(
            "harbor",
            platform.harbor,
            tls,
            ldap=ldap,
            ldap_bind_password=secret(env, "ldapBindPassword"),
            opts=_after(opts, platform.harbor, core.argocd, core.traefik),
        )
        urls["harbor"] = core.harbor.url
        pulumi.export("harborUrl", core.harbor.url)
        pulumi.export("harborUsername", core.harbor.admin_username)
        pulumi.export("harborPassword", core.harbor.admin_password)
    return core


def main(env_name: str) -> None:
    env = read_environment(env_name, "platform")
    platform = env.config.platform

    async def program() -> None:
        cluster = await references.read(env.config.organization, env_name, "cluster")
        provider = k8s.Provider(
            f"{env_name}-kubernetes",
            kubeconfig=cluster.kubeconfig,
            enable_server_side_apply=True,
        )
        opts = pulumi.ResourceOptions(providers=[provider])
        urls: dict[str, str] = {}

        metallb = MetalLb("metallb", platform.metallb, opts=opts) if platform.metallb.enabled else None
        core = services_i(env, opts, urls, metallb)

        # Security plane: Vault -> its configuration -> ESO and cosign -> Kyverno's policies.
        domain = env.config.global_.domain
        cosign_public_key = None
        eso = None
        if platform.vault.enabled:
            vault = Vault(
                "vault", platform.vault, domain=domain, kubeconfig=cluster.kubeconfig,
                opts=_after(opts, platform.vault, core.argocd),
            )
            urls["vault"] = vault.address
            if platform.vault_config.enabled:
                vault_config = VaultConfig(
                    "vault-config",
                    platform.vault_config,
                    address=vault.address,
                    root_token=vault.root_token,
                    ldap=ldap_binding(env.config.global_.ldap),
                    ldap_bind_password=secret(env, "ldapBindPassword"),
                    ca_certificate=core.cert_manager.root_ca_certificate if core.cert_manager else None,
                    # Configured through the ingress: Traefik and the certificate issuer come first.
                    opts=_after(opts, None, None, vault.ready, core.traefik, core.cert_manager),
                )
                pulumi.export("vaultAddress", vault_config.address)
                pulumi.export("vaultToken", vault_config.projects_token)
                if vault_config.ci_auth_path:
                    pulumi.export("vaultCiAuthPath", vault_config.ci_auth_path)
                if platform.external_secrets.enabled:
                    eso = ExternalSecrets(
                        "external-secrets",
                        platform.external_secrets,
                        vault_address=vault.internal_address,
                        kv_path=vault_config.kv_path,
                        auth_path=platform.vault_config.kubernetes_path,
                        role=platform.vault_config.eso_role,
                        after=vault_config.ready,
                        opts=_after(opts, platform.external_secrets, core.argocd),
                    )
                if platform.cosign.enabled:
                    cosign = Cosign(
                        "cosign",
                        platform.cosign,
                        vault_provider=vault_config.provider,
                        transit_mount=platform.vault_config.transit_path,
                        ci_auth_path=vault_config.ci_auth_path,
                        ci_audience=platform.vault_config.ci_oidc.audience if platform.vault_config.ci_oidc else None,
                        platform_repository_uuids=(
                            platform.vault_config.ci_oidc.platform_repository_uuids if platform.vault_config.ci_oidc else None
                        ),
                        kv_path=vault_config.kv_path,
                        protect=env.config.global_.protect,
                        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=vault_config.ready)),
                    )
                    cosign_public_key = cosign.public_key
                    pulumi.export("cosignPublicKey", cosign.public_key)
                    pulumi.export("cosignKey", cosign.key_ref)
        if platform.renovate.enabled:
            # The token comes from Vault through ESO's `vault-platform` store (validated in config).
            Renovate("renovate", platform.renovate, secret_store=[eso] if eso else [], opts=_after(opts, platform.renovate, core.argocd))
        if platform.kyverno.enabled:
            Kyverno(
                "kyverno", platform.kyverno, domain=domain, cosign_public_key=cosign_public_key,
                # Harbor's API answers only once configured (`harbor.configureApi`).
                harbor_access=core.harbor if core.harbor and platform.harbor.configure_api else None,
                opts=_after(opts, platform.kyverno, core.argocd),
            )
        if platform.trivy_operator.enabled:
            TrivyOperator("trivy-operator", platform.trivy_operator, opts=_after(opts, platform.trivy_operator, core.argocd))
        if platform.reloader.enabled:
            Reloader("reloader", platform.reloader, opts=_after(opts, platform.reloader, core.argocd))

        pulumi.export("domain", env.config.global_.domain)
        pulumi.export("urls", urls)

    pulumi.run(program)
