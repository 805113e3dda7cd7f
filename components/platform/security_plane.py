"""Cross-component rules of the security plane, checked when the environment file is validated.

The components depend on each other in one direction -- Vault, then its configuration, then
External Secrets and cosign, then Kyverno's signature policy -- so switching one off while a
dependant stays on is a configuration error, reported with the exact key rather than as a
failed `pulumi up` halfway through.
"""

from __future__ import annotations

from typing import Any

SIGNATURE_POLICY = "verify-image-signatures"


def security_plane_errors(platform: Any, prefix: str = "platform") -> list[tuple[str, str]]:
    """(path, message) pairs for a PlatformConfig whose security components do not fit together."""
    errors: list[tuple[str, str]] = []
    vault, config = platform.vault, platform.vault_config
    if vault.enabled and vault.secret_threshold > vault.secret_shares:
        errors.append(
            (f"{prefix}.vault.secretThreshold", f"{vault.secret_threshold} exceeds secretShares {vault.secret_shares}")
        )
    if config.enabled and not vault.enabled:
        errors.append((f"{prefix}.vaultConfig.enabled", "needs platform.vault.enabled: true"))
    for key, component in (("externalSecrets", platform.external_secrets), ("cosign", platform.cosign)):
        if component.enabled and not (config.enabled and vault.enabled):
            errors.append((f"{prefix}.{key}.enabled", "needs Vault and its configuration (platform.vault, platform.vaultConfig)"))
    kyverno = platform.kyverno
    if kyverno.enabled and SIGNATURE_POLICY in kyverno.policies and not platform.cosign.enabled:
        errors.append(
            (f"{prefix}.kyverno.policies", f"{SIGNATURE_POLICY} needs platform.cosign.enabled: true (its public key)")
        )
    return errors
