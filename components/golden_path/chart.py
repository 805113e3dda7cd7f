"""The `platform-app` chart as data: its pinned version, default values and values schema.

`idpctl app render` checks the values it writes (and a team's own values.yaml) against the
chart's `values.schema.json` after merging them over the chart defaults the way Helm does, so
a misspelt key fails before anything reaches Git, with its line in the team's file.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import jsonschema

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "platform-app"
CHART_NAME = "platform-app"


@functools.cache
def chart_version() -> str:
    return str(yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["version"])


@functools.cache
def _defaults() -> dict[str, Any]:
    return yaml.safe_load((CHART_DIR / "values.yaml").read_text())


def defaults() -> dict[str, Any]:
    return copy.deepcopy(_defaults())


@functools.cache
def values_schema() -> dict[str, Any]:
    return json.loads((CHART_DIR / "values.schema.json").read_text())


def coalesce(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of user values over defaults: maps merge, other values replace, null deletes."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def schema_errors(values: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(path, message) of every schema violation of `values` merged over the chart defaults."""
    import jsonschema  # only values.yaml files are checked against the schema; platform.yaml is not

    merged = coalesce(_defaults(), values)
    validator = jsonschema.Draft7Validator(values_schema())
    errors = []
    for err in sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(err.absolute_path)
        message = err.message
        if err.validator == "additionalProperties":
            err_schema: Any = err.schema
            unknown = sorted(set(err.instance) - set(err_schema.get("properties", {})))
            for key in unknown:
                known = sorted(err_schema.get("properties", {}))
                errors.append((path + (key,), "unknown key" + _close(key, known)))
            continue
        if err.validator == "oneOf":
            sub_path, message = _one_of(err)
            path += sub_path
        elif err.validator == "not":
            forbidden = err.validator_value.get("const", err.validator_value.get("enum")) if isinstance(err.validator_value, dict) else None
            message = f"{err.instance!r} is not allowed here" + (" (use an immutable tag such as the commit SHA)" if forbidden == "latest" else "")
        errors.append((path, message))
    return errors


def _close(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_of(err: jsonschema.ValidationError) -> tuple[tuple[Any, ...], str]:
    """The error of the branch the value meant (same `type`), not 'is not valid under any schema'."""
    instance = err.instance if isinstance(err.instance, dict) else {}
    schema: Any = err.schema
    groups: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in err.context or []:
        groups.setdefault(sub.schema_path[0], []).append(sub)
    for index, branch in enumerate(schema.get("oneOf", [])):
        const = branch.get("properties", {}).get("type", {}).get("const")
        subs = groups.get(index)
        if const is None or instance.get("type") != const or not subs:
            continue
        first = subs[0]
        first_schema: Any = first.schema
        if first.validator == "additionalProperties":
            first_instance: Any = first.instance
            extra = sorted(set(first_instance) - set(first_schema.get("properties", {})))
            if extra:
                return (extra[0],), f"unknown key for type {const!r}" + _close(extra[0], sorted(first_schema["properties"]))
        return tuple(first.relative_path), first.message
    if "type" in instance:
        known = [b.get("properties", {}).get("type", {}).get("const") for b in schema.get("oneOf", [])]
        return ("type",), f"{instance['type']!r} is not a known type (one of {', '.join(repr(k) for k in known if k)})"
    return (), err.message
