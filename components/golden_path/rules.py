"""The golden path's rules, once, for both doors: `platform.yaml` and a full-control `values.yaml`.

`PlatformSpec` (platform.yaml) and `values_errors` (values.yaml for the base chart) read their own
shapes and hand the same facts to these functions, so a value refused in one file is refused in
the other: a secret-looking name in plain `env`, a port reference that names no port, an
autoscaler whose minimum is above its maximum, a request above its limit, an image outside the
project's Harbor project, a volume on `/tmp` or two on one path. Each function returns
(path, message) pairs in the caller's own key paths.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from pydantic import TypeAdapter, ValidationError

from components.model import Cron6, Duration, K8sName, PositiveQuantity, not_above

Errors = list[tuple[str, str]]

# Environment variables the chart sets itself; a team may not shadow them.
BUILTIN_ENV = {"APP_NAME", "ENVIRONMENT"}
DATABASE_ENV = {"DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"}
RABBITMQ_ENV = {"AMQP_URL", "RABBITMQ_HOST", "RABBITMQ_PORT", "RABBITMQ_USERNAME", "RABBITMQ_PASSWORD"}
# Plain `env` is committed to Git; names like these must come from a Secret instead.
SECRET_LIKE = re.compile(r"(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?)($|_)", re.IGNORECASE)


def reserved_env(database: bool, rabbitmq: bool) -> set[str]:
    return BUILTIN_ENV | (DATABASE_ENV if database else set()) | (RABBITMQ_ENV if rabbitmq else set())


def env_errors(env_maps: Iterable[tuple[str, Mapping[str, Any]]], reserved: set[str], project: str) -> Errors:
    """Plain variables never shadow the platform's, and never carry what looks like a secret."""
    errors: Errors = []
    for path, env in env_maps:
        for name in sorted(set(env) & reserved):
            errors.append((f"{path}.{name}", "is set by the platform (database, broker or identity); pick another name"))
        for name in sorted(k for k in env if SECRET_LIKE.search(k)):
            errors.append((
                f"{path}.{name}",
                f"looks like a secret and env is plain text in Git: put it in Vault {project}/env "
                f"(it arrives through the {project}-env Secret) or reference a Secret key instead",
            ))
    return errors


def secret_key_errors(path: str, names: Iterable[str], taken: set[str]) -> Errors:
    return [(f"{path}.{name}", "is already set (by env or by the platform)") for name in sorted(set(names) & taken)]


def port_errors(refs: Iterable[tuple[str, Any]], ports: Iterable[str]) -> Errors:
    """Ingress, probes and monitoring name a port the application declares."""
    known = sorted(ports)
    return [(path, f"{port!r} is not one of ports {known}") for path, port in refs if port not in known]


def autoscaling_errors(scalers: Iterable[tuple[str, int, int]]) -> Errors:
    return [(f"{path}.minReplicas", "must not be greater than maxReplicas") for path, low, high in scalers if low > high]


def repository_errors(path: str, repository: str | None, registry: str | None, project: str) -> Errors:
    """Harbor robot accounts are per project: a push outside the project's Harbor project is denied."""
    if repository and not registry and not repository.startswith(f"{project}/"):
        return [(path, f"must start with {project}/ (the project's Harbor project)")]
    return []


def mount_errors(mounts: Iterable[tuple[str, str]]) -> Errors:
    """(path of mountPath, mountPath) per volume: /tmp is the platform's, and one path holds one volume."""
    errors: Errors = []
    seen: dict[str, str] = {}
    for path, mount_path in mounts:
        if mount_path == "/tmp":
            errors.append((path, "/tmp is reserved: the platform mounts a writable /tmp"))
        elif mount_path in seen:
            errors.append((path, f"already used by {seen[mount_path]}"))
        seen.setdefault(mount_path, path.rsplit(".", 1)[0])
    return errors


# ---------------------------------------------------------------------------------------------
# values.yaml: the same rules on the chart's shape


def _check(adapter: TypeAdapter, path: str, value: Any) -> Errors:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return [(path, exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, "))]
    return []


_NAME = TypeAdapter(K8sName)
_QUANTITY = TypeAdapter(PositiveQuantity)
_DURATION = TypeAdapter(Duration)
_CRON6 = TypeAdapter(Cron6)


def _resources(path: str, resources: Any) -> Errors:
    if not isinstance(resources, dict):
        return []
    errors: Errors = []
    found: dict[str, str] = {}
    for side in ("requests", "limits"):
        for kind, value in (resources.get(side) or {}).items():
            problems = _check(_QUANTITY, f"{path}.{side}.{kind}", str(value) if isinstance(value, int) else value)
            errors += problems
            if not problems:
                found[f"{side}.{kind}"] = str(value)
    for kind in ("cpu", "memory"):
        if f"requests.{kind}" in found and f"limits.{kind}" in found:
            errors += not_above(
                [(f"{path}.requests.{kind}", found[f"requests.{kind}"], f"limits.{kind}", found[f"limits.{kind}"])]
            )
    return errors


def values_errors(given: dict[str, Any]) -> Errors:
    """Every platform.yaml rule that has a counterpart in the chart's values (paths as in values.yaml).

    The file is checked as Helm will see it: merged over the chart's defaults.
    """
    from components.golden_path.chart import coalesce, defaults

    values = coalesce(defaults(), given)
    app = values.get("app") or {}
    project = str(app.get("project") or "")
    errors: Errors = []
    for key in ("name", "team", "project"):
        if app.get(key):
            errors += _check(_NAME, f"app.{key}", app[key])
    if isinstance(app.get("name"), str) and len(app["name"]) > 40:
        errors.append(("app.name", f"{app['name']!r} is longer than 40 characters (derived names such as <name>-pr-<N> must fit)"))
    database = values.get("database") or {}
    rabbitmq = values.get("rabbitmq") or {}
    reserved = reserved_env(bool(database.get("enabled")), bool(rabbitmq.get("enabled")))
    env = values.get("env") or {}
    errors += env_errors([("env", env)], reserved, project or "<project>")
    errors += secret_key_errors("secretEnv", values.get("secretEnv") or {}, reserved | set(env))
    ports = ((values.get("service") or {}).get("ports") or {}).keys()
    refs: list[tuple[str, Any]] = []
    ingress = values.get("ingress") or {}
    if ingress.get("enabled"):
        refs.append(("ingress.port", ingress.get("port")))
    for kind, probe in (values.get("probes") or {}).items():
        if isinstance(probe, dict) and probe.get("enabled", True) and probe.get("type", "http") in ("http", "tcp"):
            refs.append((f"probes.{kind}.port", probe.get("port")))
    monitoring = values.get("monitoring") or {}
    if monitoring.get("enabled"):
        refs.append(("monitoring.port", monitoring.get("port")))
        if monitoring.get("interval"):
            errors += _check(_DURATION, "monitoring.interval", monitoring["interval"])
    errors += port_errors(refs, ports)
    scaling = values.get("autoscaling") or {}
    if scaling.get("enabled") and isinstance(scaling.get("minReplicas"), int) and isinstance(scaling.get("maxReplicas"), int):
        errors += autoscaling_errors([("autoscaling", scaling["minReplicas"], scaling["maxReplicas"])])
    image = values.get("image") or {}
    errors += repository_errors("image.repository", image.get("repository"), image.get("registry"), project)
    persistence = values.get("persistence") or {}
    errors += mount_errors(
        (f"persistence.{vol_id}.mountPath", volume["mountPath"])
        for vol_id, volume in persistence.items()
        if isinstance(volume, dict) and isinstance(volume.get("mountPath"), str)
    )
    errors += _resources("resources", values.get("resources"))
    for part in ("database", "rabbitmq"):
        section = values.get(part) or {}
        if section.get("enabled"):
            errors += _resources(f"{part}.resources", section.get("resources"))
    backup = database.get("backup") or {}
    if database.get("enabled") and backup.get("enabled") and backup.get("schedule"):
        errors += _check(_CRON6, "database.backup.schedule", backup["schedule"])
    for i, step in enumerate(((values.get("strategy") or {}).get("canary") or {}).get("steps") or []):
        duration = ((step or {}).get("pause") or {}).get("duration") if isinstance(step, dict) else None
        if duration:
            errors += _check(_DURATION, f"strategy.canary.steps[{i}].pause.duration", duration)
    return errors
