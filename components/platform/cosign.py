"""Cosign: the platform's image-signing key, an ECDSA P-256 key in Vault Transit that never leaves Vault.

Pipelines sign with `cosign sign --key hashivault://<key>` (cosign's Vault KMS support): cosign
sends the digest to `transit/sign/<key>/<hash>` and gets the signature back, so no pipeline ever
holds key material. The key is created non-exportable with no plaintext backup; the CI policies
(components/tenant/ci.py for projects, `platform-ci` here for the platform repository) grant only
`update` on the sign path. The public key of the latest version is read from the key's state and
goes into Kyverno's `verify-image-signatures` policy and the platform stack's exports, so anyone
can verify (`cosign verify --key cosign.pub --insecure-ignore-tlog`).

Rotating: `vault write -f transit/keys/<key>/rotate`, then `pulumi up` of the platform stack, which
reads the new latest version's public key into the policy. Images signed with the older version
fail verification until re-signed (the platform pipeline's `resign` step) -- re-sign first.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_vault as vault
from pydantic import Field

from components.model import K8sName
from components.platform.chart import ServiceArgs
from components.platform.service import PlatformContext, PlatformService
from components.platform.vault_config import VaultConfig

KEY_TYPE = "ecdsa-p256"
"""What Kyverno's and cosign's key verification take (PKIX ECDSA P-256)."""
PLATFORM_ROBOT_PATH = "platform/harbor-ci"
"""Platform KV path of the Harbor robot the platform pipeline pushes with (written by Harbor)."""


class CosignArgs(ServiceArgs):
    """The Transit key the platform and its projects sign with."""

    key_name: K8sName = Field("cosign", description="Transit key name (`hashivault://<keyName>`)")
    protect: bool = Field(True, description="protect the key: every signature in Harbor depends on it")


def latest_public_key(keys: list[dict] | None) -> str:
    """PEM of the newest version in a Transit key's `keys` list (oldest first)."""
    if not keys:
        return ""
    return str(keys[-1].get("public_key", ""))


def platform_ci_policy(transit_path: str, key: str, kv_path: str, robot_path: str) -> dict:
    """Vault JSON policy of the platform pipeline: sign, and read the platform robot's credentials."""
    return {
        "path": {
            f"{transit_path}/sign/{key}": {"capabilities": ["update"]},
            f"{transit_path}/sign/{key}/*": {"capabilities": ["update"]},
            f"{kv_path}/data/{robot_path}": {"capabilities": ["read"]},
        }
    }


class Cosign(PlatformService):
    """A non-exportable Transit key; its public half exported; the platform pipeline's sign-only role."""

    key = "cosign"
    args_type = CosignArgs
    needs = {"vault": "the key is kept in Vault", "vault_config": "its Transit engine and the CI auth method"}

    public_key: pulumi.Output[str]
    """PEM public key (PKIX) of the latest key version, for Kyverno and `cosign verify`."""
    key_ref: str
    """`hashivault://<key>`, what `cosign sign --key` takes."""

    def __init__(
        self,
        name: str,
        args: CosignArgs,
        *,
        vault_provider: pulumi.ProviderResource,
        transit_mount: str,
        ci_auth_path: str | None = None,
        ci_audience: str | None = None,
        platform_repository_uuids: list[str] | None = None,
        kv_path: str = "secret",
        robot_path: str = PLATFORM_ROBOT_PATH,
        protect: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("idp:platform:Cosign", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self, provider=vault_provider)
        key = vault.transit.SecretBackendKey(
            f"{name}-transit-key",
            backend=transit_mount,
            name=args.key_name,
            type=KEY_TYPE,
            exportable=False,
            allow_plaintext_backup=False,
            deletion_allowed=False,
            # Every signature in Harbor depends on this key.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=protect)),
        )
        if ci_auth_path and platform_repository_uuids:
            policy = vault.Policy(
                f"{name}-platform-ci-policy",
                name="platform-ci",
                policy=json.dumps(platform_ci_policy(transit_mount, args.key_name, kv_path, robot_path), indent=2),
                opts=child,
            )
            vault.jwt.AuthBackendRole(
                f"{name}-platform-ci-role",
                backend=ci_auth_path,
                role_name="platform-ci",
                role_type="jwt",
                user_claim="sub",
                bound_audiences=[ci_audience] if ci_audience else None,
                bound_claims={"repositoryUuid": ",".join(platform_repository_uuids)},
                token_policies=[policy.name],
                token_ttl=1800,
                token_max_ttl=1800,
                opts=child,
            )
        self.public_key = key.keys.apply(latest_public_key)
        self.key_ref = f"hashivault://{args.key_name}"
        self.register_outputs({"publicKey": self.public_key, "keyRef": self.key_ref})

    @classmethod
    def create(cls, name: str, args: CosignArgs, context: PlatformContext, opts: pulumi.ResourceOptions) -> "Cosign":
        config = context.services["vault_config"]
        assert isinstance(config, VaultConfig)
        oidc = config.ci_oidc
        return cls(
            name,
            args,
            vault_provider=config.provider,
            transit_mount=config.transit_path,
            ci_auth_path=config.ci_auth_path,
            ci_audience=oidc.audience if oidc else None,
            platform_repository_uuids=oidc.platform_repository_uuids if oidc else None,
            kv_path=config.kv_path,
            protect=args.protect,
            opts=opts,
        )

    def stack_outputs(self) -> dict:
        return {"cosignPublicKey": self.public_key, "cosignKey": self.key_ref}
