"""Helpers of the platform-services tests (issue 4): renders of the lab platform layer, and lookups
of registrations, chart values, declared Kubernetes objects and ordering.

Renders run the real `stacks/platform.py` under the Pulumi mock runtime (`idpctl.runtime`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from idpctl.render_cmd import kubernetes_objects
from idpctl.runtime import LayerResult, mask, run_layers

REPO = Path(__file__).resolve().parents[2]
RELEASE = "kubernetes:helm.sh/v3:Release"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"


def lab_config() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())["config"])


def render_platform(config: dict[str, Any]) -> LayerResult:
    results, _missing = run_layers(["platform"], "lab", config)
    return results["platform"]


def one(result: LayerResult, type_token: str, name: str):
    found = [r for r in result.resources if r.type == type_token and r.name == name]
    assert len(found) == 1, f"{type_token} {name}: found {[r.name for r in result.resources if r.type == type_token]}"
    return found[0]


def of_type(result: LayerResult, type_token: str) -> list:
    return [r for r in result.resources if r.type == type_token]


def chart_registration(result: LayerResult, component: str):
    """The Release or Application that delivers a component's chart (`<component>-chart-...`)."""
    for reg in result.resources:
        if reg.type in (RELEASE, APPLICATION) and reg.name in (f"{component}-chart-release", f"{component}-chart-application"):
            return reg
    raise AssertionError(f"no chart registration for {component}")


def chart_values(result: LayerResult, component: str) -> dict:
    """The values a component's chart gets, masked, whichever the delivery mode."""
    reg = chart_registration(result, component)
    inputs = mask(reg.inputs)
    if reg.type == RELEASE:
        return inputs["values"]
    return inputs["spec"]["source"]["helm"]["valuesObject"]


def objects(result: LayerResult, kind: str | None = None, namespace: str | None = None) -> list[dict]:
    found = kubernetes_objects(result)
    if kind:
        found = [o for o in found if o["kind"] == kind]
    if namespace:
        found = [o for o in found if (o.get("metadata") or {}).get("namespace") == namespace]
    return found


def obj(result: LayerResult, kind: str, name: str, namespace: str | None = None) -> dict:
    found = [o for o in objects(result, kind, namespace) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {namespace}/{name}: {len(found)} found"
    return found[0]


def children(result: LayerResult, urn: str) -> set[str]:
    """URNs of every resource under a component, at any depth."""
    found, frontier = set(), {urn}
    while frontier:
        frontier = {r.urn for r in result.resources if r.parent in frontier} - found
        found |= frontier
    return found


def dependencies(result: LayerResult, urn: str) -> set[str]:
    """Every URN the resource is ordered after: its explicit `depends_on` and its ancestors', a
    component dependency counting as all of that component's children, transitively."""
    by_urn = {r.urn: r for r in result.resources}
    seen: set[str] = set()
    todo = [urn]
    while todo:
        current = by_urn.get(todo.pop())
        if current is None:
            continue
        direct = list(current.depends_on)
        ancestor = by_urn.get(current.parent)
        while ancestor is not None:
            direct += ancestor.depends_on
            ancestor = by_urn.get(ancestor.parent)
        for dep in direct:
            for expanded in {dep} | children(result, dep):
                if expanded not in seen:
                    seen.add(expanded)
                    todo.append(expanded)
    return seen


def waits_for(result: LayerResult, reg, target) -> bool:
    """True when `reg` is ordered after `target` (explicitly, never by timing)."""
    return target.urn in dependencies(result, reg.urn)
