"""`idpctl render`: run layers offline under the mock runtime and write what they declare.

Output (stable contract, later features add files but never change these):
- `DIR/resources.json`: every registered resource `{urn, type, name, parent, protect, inputs}`,
  values the program marked secret replaced by "[secret]", layer by layer in URN order;
- `DIR/exports.json`: each layer's stack outputs, masked the same way;
- `DIR/manifests/<layer>/<kind>-<namespace>-<name>.yaml`: one file per Kubernetes object the
  program declares directly (Helm releases are in resources.json, not expanded);
- `DIR/talos/<node>.yaml`: the named patch documents sent for each node's machine configuration.
Exit 0 on success, 2 on a configuration error.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import click
import pulumi
import yaml

from idpctl.envfile import read_file_config, validate_file
from idpctl.policy_scan import scan
from idpctl.runtime import SECRET, LayerResult, is_secret_envelope, mask, run_layers, unwrap
from stacks.config import LAYERS, ConfigError

TALOS_CONFIG_CALL = "talos:machine/getConfiguration:getConfiguration"

# libyaml's emitter when PyYAML was built with it: about 3x faster than the pure-Python one.
FastDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _has_escaped_string(obj: object) -> bool:
    """True if a key or value holds a line break, control or non-ASCII character.

    Only such strings are written double-quoted, and there libyaml folds long lines at other
    places than PyYAML's own emitter: the same data in different bytes. Everything else comes
    out byte for byte the same from both.
    """
    stack = [obj]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if not (item.isascii() and item.isprintable()):
                return True
        elif kind is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False


def to_yaml(obj: dict) -> str:
    """One manifest as YAML, keys in the order the program declared them.

    The few objects with escaped strings (dashboards, embedded JSON) go through PyYAML's own
    emitter, so a render's files do not depend on whether libyaml is installed.
    """
    dumper = yaml.SafeDumper if _has_escaped_string(obj) else FastDumper
    return yaml.dump(obj, Dumper=dumper, sort_keys=False)


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
        # Registration order depends on how the SDK's tasks interleave; sorted, two renders of
        # the same environment file give the same file.
        resources.extend(sorted((reg.masked() for reg in result.resources), key=lambda r: r["urn"]))
        exports[result.stack] = result.masked_exports()
        layer_dir = out / "manifests" / layer
        layer_dir.mkdir(parents=True, exist_ok=True)
        for obj in kubernetes_objects(result):
            (layer_dir / manifest_filename(obj)).write_text(to_yaml(obj))
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
        # The command ends after writing, so the render's garbage is left to process exit.
        results, missing = run_layers(layers, env_name, read_file_config(config_file), reclaim=False)
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
