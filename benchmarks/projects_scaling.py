"""How the projects layer scales with the number of tenant projects.

Renders `<env>-projects` under the mock runtime (the same code path as `idpctl render`) for 10,
100 and 500 generated projects and prints, for each, the wall-clock seconds, the milliseconds
per project and the number of registered resources. The upstream layers (vms, cluster,
platform) run once from the lab file; only the projects layer is timed. Goal: linear growth,
at most 20 ms per project. Nothing is asserted here: the figures are for reading.

Run: .venv/bin/python benchmarks/projects_scaling.py [--config-file Pulumi.lab.yaml] [--sizes 10,100,500]
The last line is always `ms per project at <largest size>: <number>`.
"""

from __future__ import annotations

import argparse
import copy
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


def measure(file_config: dict, env: str, upstream: dict, count: int) -> tuple[float, int]:
    config = copy.deepcopy(file_config)
    config["idp:projects"] = generated_projects(count)
    values, secret_keys, _ = config_for_run(config)
    start = time.perf_counter()
    result = run_layer("projects", env, values, secret_keys, upstream=upstream)
    return time.perf_counter() - start, len(result.resources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-file", type=Path, default=REPO / "Pulumi.lab.yaml")
    parser.add_argument("--env", default="lab")
    parser.add_argument("--sizes", default="10,100,500")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]

    file_config = read_file_config(options.config_file)
    upstream, _ = run_layers(["cluster", "platform"], options.env, file_config)
    measure(file_config, options.env, upstream, 2)  # warm-up: imports and first-run caches

    print(f"{'projects':>8}  {'seconds':>8}  {'ms/project':>10}  {'resources':>9}")
    per_project = {}
    for size in sizes:
        seconds, resources = measure(file_config, options.env, upstream, size)
        per_project[size] = seconds * 1000 / size
        print(f"{size:>8}  {seconds:>8.2f}  {per_project[size]:>10.1f}  {resources:>9}")
    largest = max(sizes)
    print(f"ms per project at {largest}: {per_project[largest]:.1f}")


if __name__ == "__main__":
    main()
