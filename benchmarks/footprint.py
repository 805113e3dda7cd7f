"""The platform's footprint: CPU and memory requests and limits of everything `<env>-platform` deploys.

Renders the platform layer under the mock runtime (the same code path as `idpctl render`) and
sums, per platform service, the requests and limits of every container its charts and objects
run, replicas counted and DaemonSets counted once per node they run on (`idpctl/footprint.py`).
Prints one row per service (largest requests first), the containers that set no request or
limit, the requests of the long-running workloads alone (CronJobs and scan jobs are counted in
the total as if all were running at once: the conservative figure), and the budget: at most 6 vCPU and 12 GiB of requests for the whole platform (40 % of the
lab's five nodes). CPU limits are mostly unset by design (throttling); the limits column shows
what is set.

Run: .venv/bin/python benchmarks/footprint.py [--config-file Pulumi.lab.yaml] [--env lab] [--top 5]
The last line is always `total requests: <cpu> vCPU, <memory> GiB`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from idpctl.envfile import read_file_config  # noqa: E402
from idpctl.footprint import by_component, inventory, totals  # noqa: E402
from idpctl.runtime import run_layers  # noqa: E402

BUDGET_CPU = 6.0
BUDGET_MEMORY_GIB = 12.0
GIB = 2**30


def node_counts(config: dict) -> dict[str, int]:
    """Nodes by role from the environment file (`idp:vms.cluster.nodes`)."""
    counts: dict[str, int] = {}
    for node in config["idp:vms"]["cluster"]["nodes"]:
        counts[node["role"]] = counts.get(node["role"], 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-file", default=str(REPO / "Pulumi.lab.yaml"))
    parser.add_argument("--env", default="lab")
    parser.add_argument("--top", type=int, default=5, help="how many of the largest containers to list")
    options = parser.parse_args(argv)

    config = read_file_config(Path(options.config_file))
    results, _missing = run_layers(["platform"], options.env, config)
    nodes = node_counts(config)
    containers = inventory(results["platform"], nodes)
    per_component = by_component(containers)

    print(f"platform footprint of {options.env} ({sum(nodes.values())} nodes: "
          + ", ".join(f"{n} {role}" for role, n in sorted(nodes.items())) + ")")
    header = f"{'component':<24}{'containers':>11}{'req vCPU':>10}{'req GiB':>9}{'lim vCPU':>10}{'lim GiB':>9}"
    print(header)
    print("-" * len(header))
    for name, total in sorted(per_component.items(), key=lambda item: (-item[1].requests_cpu, -item[1].requests_memory)):
        count = sum(c.copies for c in containers if c.component == name)
        print(f"{name:<24}{count:>11}{total.requests_cpu:>10.2f}{total.requests_memory / GIB:>9.2f}"
              f"{total.limits_cpu:>10.2f}{total.limits_memory / GIB:>9.2f}")
    overall = totals(containers)
    print("-" * len(header))
    print(f"{'all':<24}{sum(c.copies for c in containers):>11}{overall.requests_cpu:>10.2f}"
          f"{overall.requests_memory / GIB:>9.2f}{overall.limits_cpu:>10.2f}{overall.limits_memory / GIB:>9.2f}")

    print(f"\nlargest requests (top {options.top}):")
    for container in sorted(containers, key=lambda c: (-c.requests_cpu, -c.requests_memory))[: options.top]:
        print(f"  {container.component}: {container.workload} x{container.copies} ({container.kind}) "
              f"{container.requests_cpu:.2f} vCPU, {container.requests_memory / GIB:.2f} GiB")
    missing = [c for c in containers if c.missing()]
    print(f"\ncontainers without explicit requests/limits: {len(missing)}")
    for container in missing:
        print(f"  {container.component}: {container.workload} lacks {', '.join(container.missing())}")

    steady = totals([c for c in containers if c.kind != "job"])
    print(f"\nlong-running workloads only (jobs and CronJobs not running): "
          f"{steady.requests_cpu:.2f} vCPU, {steady.requests_memory / GIB:.2f} GiB of requests")
    cpu, memory = overall.requests_cpu, overall.requests_memory / GIB
    within = cpu <= BUDGET_CPU and memory <= BUDGET_MEMORY_GIB
    print(f"\nbudget: {BUDGET_CPU:g} vCPU, {BUDGET_MEMORY_GIB:g} GiB of requests -> {'within' if within else 'OVER'}")
    print(f"total requests: {cpu:.2f} vCPU, {memory:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
