"""Scan rendered resources with the CrossGuard rules of `policies/crossguard` (same code as the pack)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from idpctl.runtime import LayerResult, mask

RULES = Path(__file__).resolve().parent.parent / "policies" / "crossguard" / "rules.py"


@cache
def _rules():
    spec = importlib.util.spec_from_file_location("idp_crossguard_rules", RULES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def scan(results: dict[str, LayerResult]) -> list[str]:
    """One line per violation: `<stack>: <policy>: <message>`."""
    lines = []
    for result in results.values():
        for reg in result.resources:
            for policy, message in _rules().check(reg.type, mask(reg.inputs), reg.name, reg.protect):
                lines.append(f"{result.stack}: {policy}: {message}")
    return lines
