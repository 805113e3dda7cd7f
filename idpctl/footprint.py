"""What the platform layer asks of the cluster: every container's CPU/memory requests and limits.

The inventory is read from the render of `<env>-platform` (the real program under the mock
runtime), so it reflects the typed values the components give their charts and the objects they
declare, nothing typed twice:

- chart values (Helm Release `values` or Argo CD Application `valuesObject`): every `resources`
  (or `...Resources`, e.g. the VictoriaMetrics operator's `configReloaderResources`) block with a
  CPU or memory entry is one container; its count comes from a sibling `replicas`,
  `replicaCount`, `instances`, `deployment.replicas` or `ha.replicas`, else 1;
- DaemonSets are known by chart and values path (`DAEMONSETS`) and count once per node they run
  on, from the environment's node list;
- objects the program declares itself: custom resources with `spec.resources` (the
  VMAlertmanager), and Deployments, StatefulSets, DaemonSets, Jobs and CronJobs with a pod
  template.

Jobs and CronJobs (Renovate, cert-manager's start-up check, Trivy's scan jobs) are counted once,
as if running: a budget must hold while they run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from idpctl.runtime import LayerResult, mask

RELEASE = "kubernetes:helm.sh/v3:Release"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
POD_KINDS = {"Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"), "DaemonSet": ("spec", "template"),
             "Job": ("spec", "template"), "CronJob": ("spec", "jobTemplate", "spec", "template")}

Scope = Literal["all", "control-plane"]
DAEMONSETS: dict[tuple[str, str], Scope] = {
    ("metallb", "speaker"): "all",
    ("victoria-metrics-k8s-stack", "prometheus-node-exporter"): "all",
    ("victoria-logs-collector", ""): "all",
    ("vector", ""): "control-plane",
    ("longhorn", "longhornManager"): "all",
    ("longhorn", "longhornDriver"): "all",
}
"""(chart, values path of the workload) -> the nodes its DaemonSet runs on."""
JOBS: dict[tuple[str, str], tuple[str, ...] | None] = {
    ("cert-manager", "startupapicheck"): None,
    ("argo-cd", "redisSecretInit"): None,
    ("renovate", ""): None,
    ("trivy-operator", "trivy"): ("operator", "scanJobsConcurrentLimit"),
}
"""Workloads that run to completion, with the values path of how many run at once (else one)."""

_REPLICA_PATHS = (("replicas",), ("replicaCount",), ("instances",), ("deployment", "replicas"), ("ha", "replicas"))
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_MEMORY_UNITS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def cpu_cores(value: Any) -> float:
    """`250m` -> 0.25, `2` -> 2.0 (Kubernetes CPU quantity)."""
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def memory_bytes(value: Any) -> float:
    match = _QUANTITY.match(str(value))
    if not match or match.group(2) not in _MEMORY_UNITS:
        raise ValueError(f"{value!r} is not a memory quantity")
    return float(match.group(1)) * _MEMORY_UNITS[match.group(2)]


@dataclass(frozen=True)
class Container:
    """One container (or sidecar) the platform runs, with how many copies."""

    component: str
    """The platform service (Pulumi resource name of its component)."""
    workload: str
    """Chart and values path (`victoria-metrics-k8s-stack:vmsingle.spec`) or `Kind/namespace/name`."""
    resources: dict
    copies: int
    kind: Literal["replicas", "daemonset", "job"] = "replicas"

    def _get(self, section: str, key: str) -> Any:
        return (self.resources.get(section) or {}).get(key)

    @property
    def requests_cpu(self) -> float:
        value = self._get("requests", "cpu")
        return cpu_cores(value) * self.copies if value is not None else 0.0

    @property
    def requests_memory(self) -> float:
        value = self._get("requests", "memory")
        return memory_bytes(value) * self.copies if value is not None else 0.0

    @property
    def limits_cpu(self) -> float:
        value = self._get("limits", "cpu")
        return cpu_cores(value) * self.copies if value is not None else 0.0

    @property
    def limits_memory(self) -> float:
        value = self._get("limits", "memory")
        return memory_bytes(value) * self.copies if value is not None else 0.0

    def missing(self) -> list[str]:
        """What is not explicit: CPU and memory requests, and a memory limit."""
        wanted = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
        return [f"{section}.{key}" for section, key in wanted if self._get(section, key) in (None, "")]


def _is_resources(key: str, value: Any) -> bool:
    if not (key == "resources" or key.endswith("Resources")) or not isinstance(value, dict):
        return False
    blocks = [value.get("requests"), value.get("limits")]
    return any(isinstance(b, dict) and ({"cpu", "memory"} & set(b)) for b in blocks) or value == {}


def resource_blocks(
    values: Any, path: tuple[str, ...] = (), parent: dict | None = None
) -> Iterator[tuple[tuple[str, ...], str, dict, dict]]:
    """(path of the workload, key, resources block, the workload's values) for every resources block.
    A block under `<workload>.container` (Kyverno's layout) belongs to `<workload>`."""
    if isinstance(values, dict):
        for key, value in values.items():
            if _is_resources(key, value):
                if path and path[-1] == "container" and parent is not None:
                    yield path[:-1], key, value, parent
                else:
                    yield path, key, value, values
            elif isinstance(value, (dict, list)):
                yield from resource_blocks(value, (*path, key), values if isinstance(values, dict) else None)
    elif isinstance(values, list):
        for i, item in enumerate(values):
            yield from resource_blocks(item, (*path, str(i)), None)


def _replicas(node: dict) -> int:
    for keys in _REPLICA_PATHS:
        current: Any = node
        for key in keys:
            current = current.get(key) if isinstance(current, dict) else None
        # Numbers come back from the engine's wire format as floats.
        if isinstance(current, (int, float)) and not isinstance(current, bool) and current == int(current):
            return int(current)
    return 1


def _lookup(values: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        values = values.get(key) if isinstance(values, dict) else None
    return values


def _component_of(result: LayerResult, urn: str) -> str:
    """The platform service a resource belongs to: its outermost `idp:platform:*` ancestor."""
    by_urn = {r.urn: r for r in result.resources}
    found = urn
    current = by_urn.get(urn)
    while current is not None:
        if current.type.startswith("idp:platform:") and current.type != "idp:platform:PlatformChart":
            found = current.name
        current = by_urn.get(current.parent)
    return found


def chart_values(reg) -> tuple[str, dict]:
    """(chart name, values) of a Helm Release or Argo CD Application registration."""
    inputs = mask(reg.inputs)
    if reg.type == RELEASE:
        return inputs["chart"].rsplit("/", 1)[-1], inputs.get("values") or {}
    source = inputs["spec"]["source"]
    return source["chart"], (source.get("helm") or {}).get("valuesObject") or {}


def inventory(result: LayerResult, nodes: dict[str, int]) -> list[Container]:
    """Every container of the rendered platform layer; `nodes` counts nodes by role
    (`{"controlplane": 3, "worker": 2}`) for the DaemonSets."""
    per_scope = {"all": sum(nodes.values()), "control-plane": nodes.get("controlplane", 0)}
    containers: list[Container] = []
    for reg in result.resources:
        if reg.type in (RELEASE, APPLICATION):
            chart, values = chart_values(reg)
            component = _component_of(result, reg.urn)
            for path, key, block, owner in resource_blocks(values):
                where = ".".join(path)
                scope = DAEMONSETS.get((chart, where)) or DAEMONSETS.get((chart, path[0] if path else ""))
                kind: Literal["replicas", "daemonset", "job"] = "replicas"
                copies = _replicas(owner)
                if scope:
                    kind, copies = "daemonset", per_scope[scope]
                elif (chart, where) in JOBS:
                    parallel = JOBS[(chart, where)]
                    kind, copies = "job", _replicas({"replicas": _lookup(values, parallel)}) if parallel else 1
                label = f"{chart}:{where}" + ("" if key == "resources" else f".{key}")
                containers.append(Container(component, label or chart, block, copies, kind))
        elif reg.type.startswith("kubernetes:") and reg.custom:
            containers += _object_containers(result, reg, per_scope)
    return containers


def _object_containers(result: LayerResult, reg, per_scope: dict[str, int]) -> list[Container]:
    inputs = mask(reg.inputs)
    kind = inputs.get("kind") or reg.type.rsplit(":", 1)[-1]
    meta = inputs.get("metadata") or {}
    where = f"{kind}/{meta.get('namespace', '')}/{meta.get('name', reg.name)}"
    component = _component_of(result, reg.urn)
    spec = inputs.get("spec") or {}
    if kind in POD_KINDS:
        template: Any = inputs
        for key in POD_KINDS[kind]:
            template = (template or {}).get(key)
        pod = (template or {}).get("spec") or {}
        copies = per_scope["all"] if kind == "DaemonSet" else int(spec.get("replicas", 1))
        tag: Literal["replicas", "daemonset", "job"] = "daemonset" if kind == "DaemonSet" else "job" if kind in ("Job", "CronJob") else "replicas"
        return [
            Container(component, f"{where}:{c.get('name', i)}", c.get("resources") or {}, copies, tag)
            for i, c in enumerate([*(pod.get("initContainers") or []), *(pod.get("containers") or [])])
        ]
    if isinstance(spec, dict) and any(_is_resources(k, v) for k, v in spec.items()):
        copies = _replicas(spec)
        return [
            Container(component, where + ("" if key == "resources" else f".{key}"), block, copies)
            for path, key, block, _ in resource_blocks(spec)
            if not path
        ]
    return []


@dataclass(frozen=True)
class Totals:
    requests_cpu: float
    requests_memory: float
    limits_cpu: float
    limits_memory: float


def totals(containers: list[Container]) -> Totals:
    return Totals(
        requests_cpu=sum(c.requests_cpu for c in containers),
        requests_memory=sum(c.requests_memory for c in containers),
        limits_cpu=sum(c.limits_cpu for c in containers),
        limits_memory=sum(c.limits_memory for c in containers),
    )


def by_component(containers: list[Container]) -> dict[str, Totals]:
    grouped: dict[str, list[Container]] = {}
    for container in containers:
        grouped.setdefault(container.component, []).append(container)
    return {name: totals(items) for name, items in grouped.items()}
