"""The platform's footprint: every container has explicit requests and limits, copies are counted as
the cluster runs them, and `benchmarks/footprint.py` reports the totals against the budget."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from idpctl.footprint import (
    Container,
    cpu_cores,
    inventory,
    memory_bytes,
    resource_blocks,
    totals,
)
from tests.platform.helpers import REPO

LAB_NODES = {"controlplane": 3, "worker": 2}


@pytest.fixture(scope="module")
def containers(lab) -> list[Container]:
    return inventory(lab, LAB_NODES)


def test_every_container_the_platform_deploys_has_requests_and_limits(containers):
    assert len(containers) > 40
    missing = [f"{c.component}: {c.workload} lacks {c.missing()}" for c in containers if c.missing()]
    assert missing == []


OBSERVABILITY = {
    "victoria-metrics": {
        "victoria-metrics-k8s-stack:victoria-metrics-operator",
        "victoria-metrics-k8s-stack:vmsingle.spec",
        "victoria-metrics-k8s-stack:vmagent.spec",
        "victoria-metrics-k8s-stack:vmagent.spec.configReloaderResources",
        "victoria-metrics-k8s-stack:vmalert.spec",
        "victoria-metrics-k8s-stack:vmalert.spec.configReloaderResources",
        "victoria-metrics-k8s-stack:kube-state-metrics",
        "victoria-metrics-k8s-stack:prometheus-node-exporter",
    },
    "alertmanager": {"VMAlertmanager/monitoring/idp", "VMAlertmanager/monitoring/idp.configReloaderResources"},
    "grafana": {"grafana:", "grafana:sidecar"},
    "victoria-logs": {"victoria-logs-single:server"},
    "logs-collector": {"victoria-logs-collector:"},
    "vector": {"vector:"},
}
"""Every container the observability charts and objects run (the chart-defaulted ones included:
the grafana chart's init and test containers are switched off)."""


@pytest.mark.parametrize("component", sorted(OBSERVABILITY))
def test_each_observability_container_is_accounted_for(containers, component):
    found = {c.workload for c in containers if c.component == component}
    assert found == OBSERVABILITY[component]


def test_copies_follow_replicas_and_daemonset_placement(containers):
    copies = {c.workload: c.copies for c in containers}
    assert copies["vault:server"] == 3  # server.ha.replicas
    assert copies["kyverno:admissionController"] == 3  # resources under admissionController.container
    assert copies["argo-cd:server"] == 2
    assert copies["victoria-metrics-k8s-stack:prometheus-node-exporter"] == 5  # every node
    assert copies["vector:"] == 3  # control planes only
    assert copies["trivy-operator:trivy"] == 3  # concurrent scan jobs


def test_the_inventory_notices_what_is_missing():
    values = {"server": {"replicas": 2, "resources": {"requests": {"cpu": "100m"}}}, "sidecar": {"resources": {}}}
    blocks = {".".join(path): block for path, _, block, _ in resource_blocks(values)}
    assert set(blocks) == {"server", "sidecar"}
    assert Container("x", "server", blocks["server"], 2).missing() == ["requests.memory", "limits.memory"]
    assert Container("x", "sidecar", blocks["sidecar"], 1).missing() == ["requests.cpu", "requests.memory", "limits.memory"]
    # A PVC's storage request is not a container.
    assert list(resource_blocks({"storage": {"resources": {"requests": {"storage": "20Gi"}}}})) == []


def test_quantities():
    assert cpu_cores("250m") == 0.25 and cpu_cores("2") == 2.0
    assert memory_bytes("512Mi") == 512 * 2**20 and memory_bytes("1Gi") == 2**30 and memory_bytes("1G") == 1e9
    with pytest.raises(ValueError):
        memory_bytes("12 apples")


def test_totals_add_copies():
    a = Container("a", "x", {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}, 3)
    b = Container("b", "y", {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}, 1)
    total = totals([a, b])
    assert total.requests_cpu == pytest.approx(1.3)
    assert total.requests_memory == 3 * 64 * 2**20 + 2**30
    assert total.limits_cpu == 2.0 and total.limits_memory == 3 * 128 * 2**20 + 2 * 2**30


def test_benchmark_prints_the_table_and_ends_with_the_totals_within_budget(containers):
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "footprint.py")], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    match = re.fullmatch(r"total requests: (\d+\.\d\d) vCPU, (\d+\.\d\d) GiB", lines[-1])
    assert match, lines[-1]
    cpu, memory = float(match.group(1)), float(match.group(2))
    expected = totals(containers)
    assert cpu == pytest.approx(expected.requests_cpu, abs=0.01)
    assert memory == pytest.approx(expected.requests_memory / 2**30, abs=0.01)
    assert cpu <= 6.0 and memory <= 12.0
    for component in OBSERVABILITY:
        assert any(line.startswith(component + " ") for line in lines), component
    assert "containers without explicit requests/limits: 0" in run.stdout
