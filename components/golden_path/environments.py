"""What changes between staging, production and preview renders of the same application.

Production is the application as written. Staging and previews share the production host's
DNS zone with a derived first label (`shop.apps.x` -> `shop-staging.apps.x`, `shop-pr-12.apps.x`),
so the platform's wildcard DNS covers them without a per-app record. Previews are small and
disposable: one replica, no autoscaling, no PDB, no backups, no canary, no alert rules.
These rules work on chart values, so they apply equally to platform.yaml, score.yaml and a
hand-written values.yaml.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

Env = Literal["staging", "production", "preview"]
ENVIRONMENTS: tuple[Env, ...] = ("staging", "production", "preview")


def namespace(project: str, env: Env, pr: int | None = None) -> str:
    """Tenant namespaces are `<project>-<env>`; previews `<project>-pr-<N>`."""
    return f"{project}-pr-{pr}" if env == "preview" else f"{project}-{env}"


def derive_host(host: str, env: Env, pr: int | None = None) -> str:
    if env == "production":
        return host
    first, _, rest = host.partition(".")
    suffix = f"pr-{pr}" if env == "preview" else "staging"
    label = f"{first}-{suffix}"
    if len(label) > 63:
        label = f"{first[: 62 - len(suffix)]}-{suffix}"
    return f"{label}.{rest}" if rest else label


def apply(values: dict[str, Any], env: Env, *, image_tag: str, registry: str, pr: int | None = None) -> dict[str, Any]:
    """A copy of `values` for one environment: tag, registry default, environment label, preview limits."""
    out = copy.deepcopy(values)
    out.setdefault("app", {})["environment"] = env
    image = out.setdefault("image", {})
    image["tag"] = image_tag
    if not image.get("registry"):
        image["registry"] = registry
    if env == "preview":
        _preview(out)
    return out


def _preview(values: dict[str, Any]) -> None:
    values["replicas"] = 1
    values["autoscaling"] = {"enabled": False}
    values["podDisruptionBudget"] = {"enabled": False}
    values["strategy"] = {"type": "rolling"}
    if values.get("ingress", {}).get("enabled"):
        values["ingress"]["kind"] = values["ingress"].get("kind") or "Ingress"
    database = values.get("database") or {}
    if database.get("enabled"):
        database["instances"] = 1
        database.setdefault("backup", {})["enabled"] = False
    if (values.get("rabbitmq") or {}).get("enabled"):
        values["rabbitmq"]["replicas"] = 1
    for volume in (values.get("persistence") or {}).values():
        if isinstance(volume, dict) and volume.get("type") == "pvc":
            volume["backup"] = False
    if (values.get("monitoring") or {}).get("enabled"):
        values["monitoring"]["rules"] = {}
