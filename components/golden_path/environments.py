"""What changes between staging, production and preview renders of the same application.

Production is the application as written. Staging shares the production host's DNS zone with a
derived first label (`shop.apps.x` -> `shop-staging.apps.x`). Previews follow the tenant
project's preview contract (components/tenant/previews.py), so a preview looks the same whether
the project's ApplicationSet or the pull-request pipeline created it: host
`<app>-pr-<N>.<domain>`, one replica, no autoscaling, PDB or Reloader, rolling updates, and
stateless -- no project secret, no Secret references, no volumes, database or broker (the
preview quota allows no PersistentVolumeClaims). These rules work on chart values, so they apply
equally to platform.yaml, score.yaml and a hand-written values.yaml.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from components.golden_path import chart
from components.tenant.labels import pull_secret_name

Env = Literal["staging", "production", "preview"]
ENVIRONMENTS: tuple[Env, ...] = ("staging", "production", "preview")


def namespace(project: str, env: Env, pr: int | None = None) -> str:
    """Tenant namespaces are `<project>-<env>`; previews `<project>-pr-<N>`."""
    return f"{project}-pr-{pr}" if env == "preview" else f"{project}-{env}"


def derive_host(host: str, env: Env, pr: int | None = None, *, name: str = "", domain: str = "") -> str:
    """Production: `host`; staging: `<first label>-staging.<rest>`; preview: `<name>-pr-<N>.<domain>`."""
    if env == "production":
        return host
    if env == "preview":
        return f"{name}-pr-{pr}.{domain}"
    first, _, rest = host.partition(".")
    label = f"{first[: 63 - len('-staging')]}-staging"
    return f"{label}.{rest}" if rest else label


def apply(values: dict[str, Any], env: Env, *, image_tag: str, registry: str, pr: int | None = None) -> dict[str, Any]:
    """A copy of `values` for one environment: tag, registry default, environment label, preview limits."""
    out = copy.deepcopy(values)
    out.setdefault("app", {})["environment"] = env
    image = out.setdefault("image", {})
    image["tag"] = image_tag
    if not image.get("registry"):
        image["registry"] = registry
        # The platform Harbor is private; the tenant project puts this pull secret in its namespaces.
        out.setdefault("imagePullSecrets", [pull_secret_name(out["app"]["project"])])
    _mirrored_data_images(out, registry)
    if env == "preview":
        _preview(out)
    return out


def _mirrored_data_images(values: dict[str, Any], registry: str) -> None:
    """The database and broker images from the platform Harbor's mirror, unless the team chose its own.

    Project namespaces admit only images from the platform Harbor; the chart's defaults name the
    upstream images (so the chart stays usable alone), which Harbor mirrors into `library`
    (platform/images.yaml, components/platform/harbor.py)."""
    from components.platform.harbor import mirror_reference  # only apps with a database or broker need it

    defaults = chart.defaults()
    for key, field in (("database", "imageName"), ("rabbitmq", "image")):
        section = values.get(key)
        if isinstance(section, dict) and section.get("enabled") and not section.get(field):
            section[field] = mirror_reference(defaults[key][field], registry)


def _preview(values: dict[str, Any]) -> None:
    values["replicas"] = 1
    values["autoscaling"] = {"enabled": False}
    values["podDisruptionBudget"] = {"enabled": False}
    values["reloader"] = {"enabled": False}
    values["strategy"] = {"type": "rolling"}
    # Stateless: the preview namespace has no project secret and its quota allows no volumes.
    values["secrets"] = {"project": {"enabled": False}, "extra": None}
    values["secretEnv"] = None
    values["persistence"] = None
    values["database"] = {"enabled": False}
    values["rabbitmq"] = {"enabled": False}
    if (values.get("monitoring") or {}).get("enabled"):
        values["monitoring"]["rules"] = {}
