"""How close `idpctl render` of an environment comes to the cost of importing what it runs.

A render has a floor it cannot go below: starting Python and importing every module the render
loads (the Pulumi SDK and provider SDKs, pydantic, our components...). This script measures, in
one run and alternating so both see the same machine load:
- the render: `python -m idpctl render --config-file FILE --env ENV --layer all --out TMP`;
- the floor: a fresh `python` that imports exactly the modules the render had loaded when it
  finished (recorded once, beforehand, from a render of the same file), in the same order; once
  as Python runs by default, and once with cyclic garbage collection off (the render imports
  part of the provider SDKs lazily while a layer runs, when collection is off, so the second
  floor is the stricter comparison);
and prints the best wall-clock and CPU time of each and their ratio (render / floor). Goal: ≤ 1.3.

Run: .venv/bin/python benchmarks/render_floor.py [--config-file Pulumi.lab.yaml] [--env lab] [--repeat 5]
The last line is always `render / import floor: <ratio>` (CPU time, which other processes on a
shared machine do not inflate; the wall-clock ratio is printed above it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Runs the render in-process and writes the names of the modules it loaded, in load order.
RECORD = """
import json, runpy, sys
out, args = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["idpctl", *args]
try:
    runpy.run_module("idpctl", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
with open(out, "w") as fh:
    json.dump([m for m in sys.modules if m not in ("__main__", "runpy")], fh)
"""

# Imports the recorded modules; a name that only exists as an alias some package set up while
# loading (for example `six.moves.*`) comes with its package and is skipped when not importable.
FLOOR = """
import gc, importlib, json, sys
if sys.argv[2] == "off":
    gc.disable()
for name in json.load(open(sys.argv[1])):
    if name not in sys.modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass
"""


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one command; raises if it fails."""
    before = os.times()
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{run.stderr}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-file", default="Pulumi.lab.yaml")
    parser.add_argument("--env", default="lab")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="render-floor-") as tmp:
        modules_file = Path(tmp) / "modules.json"
        render_args = ["render", "--config-file", options.config_file, "--env", options.env, "--layer", "all", "--out", f"{tmp}/out"]
        subprocess.run([sys.executable, "-c", RECORD, str(modules_file), json.dumps(render_args)], cwd=REPO, check=True, capture_output=True)
        modules = json.loads(modules_file.read_text())

        render_cmd = [sys.executable, "-m", "idpctl", *render_args]
        floor_cmd = [sys.executable, "-c", FLOOR, str(modules_file), "on"]
        floor_off_cmd = [sys.executable, "-c", FLOOR, str(modules_file), "off"]
        renders, floors, floors_off = [], [], []
        for _ in range(options.repeat):
            renders.append(timed(render_cmd))
            floors.append(timed(floor_cmd))
            floors_off.append(timed(floor_off_cmd))

    load = os.getloadavg()[0]
    render_wall, render_cpu = min(w for w, _ in renders), min(c for _, c in renders)
    floor_wall, floor_cpu = min(w for w, _ in floors), min(c for _, c in floors)
    off_wall, off_cpu = min(w for w, _ in floors_off), min(c for _, c in floors_off)
    print(f"load average {load:.2f}; best of {options.repeat}; {len(modules)} modules loaded by the render")
    print(f"{'':30}{'wall s':>8}{'cpu s':>8}")
    print(f"{'render':30}{render_wall:>8.2f}{render_cpu:>8.2f}")
    print(f"{'import floor':30}{floor_wall:>8.2f}{floor_cpu:>8.2f}")
    print(f"{'import floor, collection off':30}{off_wall:>8.2f}{off_cpu:>8.2f}")
    print(f"render / import floor with collection off: {render_cpu / off_cpu:.2f}")
    print(f"render / import floor (wall): {render_wall / floor_wall:.2f}")
    print(f"render / import floor: {render_cpu / floor_cpu:.2f}")


if __name__ == "__main__":
    main()
