"""`idpctl render`: run layers offline under the mock runtime and write what they declare.

Output (stable contract, later features add files but never change these):
- `DIR/resources.json`: every registered resource `{urn, type, name, parent, protect, inputs}`,
  values the program marked secret replaced by "[secret]";
- `DIR/exports.json`: each layer's stack outputs, masked the same way;
- `DIR/manifests/<layer>/<kind>-<namespace>-<name>.yaml`: one file per Kubernetes object the
  program declares directly (Helm releases are in resources.json, not expanded);
- `DIR/talos/<node>.yaml`: the named patch documents sent for each node's machine configuration.
Exit 0 on success, 2 on a configuration error, 3 when a rendered object refers to something
nothing in the environment creates (idpctl/integrity.py; the files are written first, to inspect).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import click
import pulumi
import yaml

from idpctl import integrity
from idpctl.envfile import read_file_config, validate_file
from idpctl.policy_scan import scan
from idpctl.runtime import SECRET, LayerResult, is_secret_envelope, mask, run_layers, unwrap
from stacks.config import LAYERS, ConfigError

TALOS_CONFIG_CALL = "talos:machine/getConfiguration:getConfiguration"


def kubernetes_objects(result: LayerResult) -> list[dict]:
    """Kubernetes objects declared directly: resources whose inputs carry apiVersion and kind."""
    objects = []
    for reg in result.resources:
        if not reg.type.startswith("kubernetes:") or reg.type.startswith("kubernetes:helm.sh/"):
            continue
        inputs = mask(_secret_keys_visible(reg.inputs))
        if "apiVersion" in inputs and "kind" in inputs:
            objects.append({k: v for k, v in inputs.items() if not k.startswith("__")})
    return objects


def _secret_keys_visible(inputs: dict) -> dict:
    """The SDK marks a Secret's whole `data`/`stringData` secret; mask its values, keep its keys.

    So the rendered Secret is still a valid object and shows which keys it carries.
    """
    if inputs.get("kind") != "Secret":
        return inputs
    out = dict(inputs)
    for field in ("data", "stringData"):
        value = out.get(field)
        if is_secret_envelope(value) and isinstance(unwrap(value), dict):
            out[field] = {key: SECRET for key in unwrap(value)}
    return out


def manifest_filename(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    parts = [obj["kind"].lower(), meta.get("namespace") or "", str(meta.get("name", "unnamed"))]
    return "-".join(p for p in parts if p) + ".yaml"


def talos_patches(result: LayerResult) -> dict[str, list[str]]:
    """Patch documents per node, taken from the configuration requests the program made."""
    per_node: dict[str, list[str]] = {}
    for token, args in result.calls:
        if token != TALOS_CONFIG_CALL:
            continue
        patches = [p for p in args.get("configPatches") or [] if isinstance(p, str)]
        node = next(
            (doc.get("hostname") for p in patches for doc in [yaml.safe_load(p)] if isinstance(doc, dict) and doc.get("kind") == "HostnameConfig"),
            None,
        )
        if node:
            per_node[node] = patches
    return per_node


def write_render(out: Path, results: dict[str, LayerResult]) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "manifests").mkdir(parents=True)
    resources, exports = [], {}
    for layer, result in results.items():
        resources.extend(reg.masked() for reg in result.resources)
        exports[result.stack] = result.masked_exports()
        layer_dir = out / "manifests" / layer
        layer_dir.mkdir(parents=True, exist_ok=True)
        for obj in kubernetes_objects(result):
            (layer_dir / manifest_filename(obj)).write_text(yaml.safe_dump(obj, sort_keys=False))
        patches = talos_patches(result)
        if patches:
            (out / "talos").mkdir(exist_ok=True)
            for node, docs in sorted(patches.items()):
                (out / "talos" / f"{node}.yaml").write_text("---\n".join(docs))
    (out / "resources.json").write_text(json.dumps(resources, indent=2, sort_keys=True, default=str) + "\n")
    (out / "exports.json").write_text(json.dumps(exports, indent=2, sort_keys=True, default=str) + "\n")


def summary(results: dict[str, LayerResult]) -> list[str]:
    lines = []
    for layer, result in results.items():
        counts = Counter(reg.type for reg in result.resources)
        lines.append(f"{result.stack}: {sum(counts.values())} resources")
        lines.extend(f"  {n:4d}  {t}" for t, n in sorted(counts.items()))
    return lines


def integrity_problems(results: dict[str, LayerResult]) -> list[integrity.Dangling]:
    """Dangling references of all rendered layers, with what the rendered platform services provide.

    Images and charts are checked against Harbor's projects when they come from the Harbor the
    platform layer exports (`harborUrl`).
    """
    platform = results.get("platform")
    harbor_url = unwrap(platform.exports.get("harborUrl")) if platform else None
    hosts = (urlparse(harbor_url).hostname,) if isinstance(harbor_url, str) and urlparse(harbor_url).hostname else ()
    return integrity.dangling(results.values(), integrity.provided_by(results.values()), registry_hosts=hosts)


@click.command()
@click.option("--config-file", type=click.Path(path_type=Path), required=True, help="Pulumi.<env>.yaml")
@click.option("--env", "env_name", required=True, help="environment name (the <env> of the stacks)")
@click.option("--layer", type=click.Choice([*LAYERS, "all"]), default="all", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="output directory (replaced)")
def render(config_file: Path, env_name: str, layer: str, out: Path) -> None:
    """Render layers offline: no credentials, no network, no decryption."""
    try:
        validate_file(config_file, env_name)
        layers = list(LAYERS) if layer == "all" else [layer]
        # Every layer up to the last one asked for runs (in runner order); all of them are checked
        # for integrity together, since a layer uses what the earlier ones create.
        ran, missing = run_layers(list(LAYERS[: max(LAYERS.index(x) for x in layers) + 1]), env_name, read_file_config(config_file))
        results = {k: v for k, v in ran.items() if k in layers}
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        sys.exit(2)
    except pulumi.RunError as exc:
        for line in str(exc).splitlines():
            click.echo(line, err=True)
        sys.exit(2 if str(exc).startswith("config error") else 1)
    write_render(out, results)
    for key in missing:
        click.echo(f"note: {key} is not set in {config_file.name}; rendered as [secret]", err=True)
    for line in summary(results):
        click.echo(line)
    violations = scan(results)
    for line in violations:
        click.echo(f"policy violation: {line}", err=True)
    click.echo(f"CrossGuard rules: {len(violations)} violation(s)")
    click.echo(f"written to {out}/")
    problems = integrity_problems(ran)
    for problem in problems:
        click.echo(f"integrity error: {problem}", err=True)
    click.echo(f"referential integrity: {len(problems)} dangling reference(s)")
    if problems:
        sys.exit(3)
