"""Helm's coalescing of a values file over a chart's defaults, for tests that reason about values."""

from __future__ import annotations


def helm_merge(base: dict, override: dict) -> dict:
    """Maps merge, a null removes the key, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = helm_merge(out[key], value)
        else:
            out[key] = value
    return out
