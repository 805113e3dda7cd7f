"""The Kyverno ClusterPolicies of `policies/kyverno/*/policy.yaml`, made concrete for one environment.

The policy files are the single source: `kyverno test` suites run against them, the platform stack
applies them. Two things differ per environment and are written in the files as documented
placeholders, substituted here before the policies are applied (and by the test suite, with a test
registry and a key pair generated at test time):

- `harbor.idp.invalid` -- the Harbor registry host (`idp:platform.kyverno.harborRegistry`). `.invalid`
  is a reserved top-level domain, so an unsubstituted policy can never match a real registry.
- a PEM block whose body is `IDP-PLATFORM-COSIGN-PUBLIC-KEY` -- replaced whole by the public key of
  the platform cosign key pair (`components/platform/cosign.py`).

Substitution walks the parsed YAML and touches string values only, so a PEM key with newlines
cannot break the document's indentation. Pure functions, no Pulumi: the component in `kyverno.py`
calls them inside `Output.apply` for the key, which is only known after the key pair exists.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies" / "kyverno"
HARBOR_REGISTRY_PLACEHOLDER = "harbor.idp.invalid"
COSIGN_KEY_MARKER = "IDP-PLATFORM-COSIGN-PUBLIC-KEY"
PROJECT_NAMESPACE_LABEL = "idp.platform/project"
"""Tenant project namespaces carry this label (projects stack); the policies select on it, because
platform-service namespaces share the `managed-by: idp-platform` label but must stay out."""

POLICY_NAMES = (
    "generate-default-network-policies",
    "require-standard-labels",
    "disallow-root",
    "verify-image-signatures",
)


class PolicyError(ValueError):
    """A policy file is missing, malformed, or a placeholder could not be substituted."""


def policy_names(root: Path = POLICY_DIR) -> list[str]:
    """Directories under `policies/kyverno/` that hold a `policy.yaml`, sorted."""
    return sorted(p.parent.name for p in root.glob("*/policy.yaml"))


def load_policy(name: str, root: Path = POLICY_DIR) -> dict[str, Any]:
    """The raw ClusterPolicy document of `policies/kyverno/<name>/policy.yaml`."""
    path = root / name / "policy.yaml"
    if not path.is_file():
        raise PolicyError(f"{path} does not exist")
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    if len(docs) != 1 or docs[0].get("kind") != "ClusterPolicy":
        raise PolicyError(f"{path} must hold exactly one ClusterPolicy document")
    if docs[0]["metadata"]["name"] != name:
        raise PolicyError(f"{path}: metadata.name {docs[0]['metadata']['name']!r} differs from the directory name")
    return docs[0]


def _is_key_placeholder(value: str) -> bool:
    return COSIGN_KEY_MARKER in value and "BEGIN PUBLIC KEY" in value


def placeholders_in(obj: Any) -> set[str]:
    """Which placeholders (`registry`, `cosign-key`) occur anywhere in a document."""
    found: set[str] = set()
    if isinstance(obj, dict):
        for v in obj.values():
            found |= placeholders_in(v)
    elif isinstance(obj, list):
        for v in obj:
            found |= placeholders_in(v)
    elif isinstance(obj, str):
        if HARBOR_REGISTRY_PLACEHOLDER in obj:
            found.add("registry")
        if _is_key_placeholder(obj):
            found.add("cosign-key")
    return found


def _substitute(obj: Any, registry: str, public_key: str | None) -> Any:
    if isinstance(obj, dict):
        return {k: _substitute(v, registry, public_key) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, registry, public_key) for v in obj]
    if isinstance(obj, str):
        if _is_key_placeholder(obj):
            if public_key is None:
                raise PolicyError("the policy needs the cosign public key but none was given")
            return public_key.strip() + "\n"
        return obj.replace(HARBOR_REGISTRY_PLACEHOLDER, registry)
    return obj


def render_policy(
    policy: dict[str, Any],
    *,
    harbor_registry: str,
    cosign_public_key: str | None = None,
    registry_secret: str | None = None,
) -> dict[str, Any]:
    """A copy of `policy` with the registry host and cosign key substituted.

    `harbor_registry` is a host (optionally `host:port`), without scheme or path.
    `registry_secret` names a docker-config Secret in Kyverno's namespace that every verifyImages
    entry uses to read signatures from the (private) registry; the policy files carry none, so the
    suites run against anonymous test registries.
    Raises `PolicyError` when a placeholder would remain.
    """
    if "/" in harbor_registry or "://" in harbor_registry or not harbor_registry:
        raise PolicyError(f"harbor registry {harbor_registry!r} must be a host or host:port, without scheme or path")
    if cosign_public_key is not None and "BEGIN PUBLIC KEY" not in cosign_public_key:
        raise PolicyError("the cosign public key must be a PEM 'PUBLIC KEY' block")
    rendered = _substitute(copy.deepcopy(policy), harbor_registry, cosign_public_key)
    if registry_secret:
        for rule in rendered["spec"]["rules"]:
            for verify in rule.get("verifyImages", []):
                verify["imageRegistryCredentials"] = {"secrets": [registry_secret]}
    left = placeholders_in(rendered)
    if left:
        raise PolicyError(f"placeholders left in {policy['metadata']['name']}: {sorted(left)}")
    return rendered


def needs_cosign_key(policy: dict[str, Any]) -> bool:
    return "cosign-key" in placeholders_in(policy)
