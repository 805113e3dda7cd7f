"""How the projects layer scales with the number of tenant projects.

Renders `<env>-projects` under the mock runtime (the same code path as `idpctl render`, garbage
collection handled as the render handles it) for 10, 100 and 500 generated projects and prints,
for each: wall-clock and CPU seconds, milliseconds per project and per registered resource, the
peak resident memory of the process that rendered it (and how far above its start), and the CPU
seconds one collection afterwards takes to get the run's garbage back (`idpctl render` leaves
that to process exit; a long-lived process such as the test suite pays it once per run).

The upstream layers (vms, cluster, platform) run once from the lab file; each size then renders
in its own forked process, so sizes do not share garbage or memory peaks. Goal: linear growth
(500 costs at most 5.5x 100), at most 30 ms per project. Nothing is asserted here.

The per-project figures are CPU time of the rendering process: on a quiet machine it equals the
wall-clock time within a few percent, and on a shared one it is the figure other processes do
not inflate (the wall-clock seconds and the load average are printed beside it).

Run: .venv/bin/python benchmarks/projects_scaling.py [--config-file Pulumi.lab.yaml] [--sizes 10,100,500]
The last line is always `ms per project at <largest size>: <number>`. With `--profile N` it
profiles N projects instead and prints how much of the time is our code and how much the SDK's.
"""

from __future__ import annotations

import argparse
import copy
import gc
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from idpctl.envfile import read_file_config  # noqa: E402
from idpctl.runtime import config_for_run, run_layer, run_layers  # noqa: E402


def generated_projects(count: int) -> list[dict]:
    """Projects of the usual shape: two environments, a Bitbucket project, previews on."""
    projects = []
    for i in range(count):
        name = f"team{i:04d}"
        projects.append(
            {
                "name": name,
                "sourceRepos": [f"https://bitbucket.lab.idp.internal/scm/{name}/*"],
                "preview": {"repoUrl": f"https://bitbucket.lab.idp.internal/scm/{name}/{name}-app.git"},
            }
        )
    return projects


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(file_config: dict, env: str, upstream: dict, count: int) -> dict:
    """Render `count` projects in this process; seconds, resources and memory."""
    config = copy.deepcopy(file_config)
    config["idp:projects"] = generated_projects(count)
    values, secret_keys, _ = config_for_run(config)
    start_rss = rss_mb()
    start, start_cpu = time.perf_counter(), time.process_time()
    result = run_layer("projects", env, values, secret_keys, upstream=upstream, reclaim=False)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # What a long-lived process (the test suite) pays on top to get the run's garbage back.
    gc.unfreeze()
    start_collect = time.process_time()
    gc.collect()
    collect = time.process_time() - start_collect
    return {"wall": wall, "cpu": cpu, "resources": len(result.resources), "peak": peak, "start": start_rss, "collect": collect}


def _child(conn, file_config: dict, env: str, upstream: dict, count: int) -> None:
    conn.send(measure(file_config, env, upstream, count))
    conn.close()


def measure_forked(file_config: dict, env: str, upstream: dict, count: int) -> dict:
    """`measure` in a forked copy of this process (warm imports, its own memory peak)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child, file_config, env, upstream, count))
    process.start()
    child.close()
    figures = parent.recv()
    process.join()
    return figures


def profile(file_config: dict, env: str, upstream: dict, count: int) -> None:
    """Where the time of rendering `count` projects goes: our code against the SDK's (cProfile)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    measure(file_config, env, upstream, count)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    own = {"components/": 0.0, "stacks/": 0.0, "idpctl/": 0.0}
    cumulative: dict[str, float] = {}
    for (path, _, function), (_, _, self_time, cum_time, _) in stats.stats.items():  # type: ignore[attr-defined]
        relative = path[len(str(REPO)) + 1 :] if path.startswith(str(REPO)) else ""
        for prefix in own:
            if relative.startswith(prefix):
                own[prefix] += self_time
        key = f"{Path(path).name}:{function}"
        cumulative[key] = max(cumulative.get(key, 0.0), cum_time)
    print(f"profile of {count} projects: {total:.2f} s under cProfile")
    for prefix, seconds in own.items():
        print(f"  {100 * seconds / total:5.1f} %  own time in {prefix}")
    print("  cumulative (the lines overlap):")
    for label, key in (
        ("SDK resource constructors our components call", "resource.py:__init__"),
        ("SDK registers a resource (asynchronous part)", "resource.py:do_register"),
        ("SDK prepares inputs (awaits and serializes them)", "resource.py:prepare_resource"),
        ("SDK records the stack trace of each resource", "resource.py:_get_stack_trace"),
        ("SDK resolves outputs from the answer", "rpc.py:resolve_outputs"),
        ("our mock monitor, all of it", "runtime.py:RegisterResource"),
        ("  of which the SDK's one deserialization of the request", "runtime.py:_inputs"),
    ):
        print(f"  {100 * cumulative.get(key, 0.0) / total:5.1f} %  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-file", type=Path, default=REPO / "Pulumi.lab.yaml")
    parser.add_argument("--env", default="lab")
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--profile", type=int, metavar="N", help="instead, profile N projects and print where the time goes")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]

    file_config = read_file_config(options.config_file)
    upstream, _ = run_layers(["cluster", "platform"], options.env, file_config)
    measure(file_config, options.env, upstream, 2)  # warm-up: imports and first-run caches
    if options.profile:
        profile(file_config, options.env, upstream, options.profile)
        return
    gc.collect()
    gc.freeze()  # what every child shares stays untouched by its collector (and unshared pages few)

    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    print(f"{'projects':>8} {'resources':>9} {'wall s':>7} {'cpu s':>7} {'ms/project':>10} {'ms/resource':>11} {'peak MB':>8} {'+MB':>6} {'collect s':>9}")
    per_project = {}
    for size in sizes:
        f = measure_forked(file_config, options.env, upstream, size)
        per_project[size] = f["cpu"] * 1000 / size
        print(
            f"{size:>8} {f['resources']:>9} {f['wall']:>7.2f} {f['cpu']:>7.2f} {per_project[size]:>10.1f} "
            f"{f['cpu'] * 1000 / f['resources']:>11.2f} {f['peak']:>8.0f} {f['peak'] - f['start']:>6.0f} {f['collect']:>9.2f}"
        )
    if 100 in per_project and 500 in per_project:
        print(f"500 / 100 projects: {per_project[500] * 500 / (per_project[100] * 100):.2f}x the time (linear: 5.0x)")
    largest = max(sizes)
    print(f"ms per project at {largest}: {per_project[largest]:.1f}")


if __name__ == "__main__":
    main()
