"""`idpctl render`: run layers offline under the mock runtime and write what they declare.

Output (stable contract, later features add files but never change these):
- `DIR/resources.json`: every registered resource `{urn, type, name, parent, protect, inputs}`,
  values the program marked secret replaced by "[secret]", layer by layer in URN order;
- `DIR/exports.json`: each layer's stack outputs, masked the same way;
- `DIR/manifests/<layer>/<kind>-<namespace>-<name>.yaml`: one file per Kubernetes object the
  program declares directly (Helm releases are in resources.json, not expanded);
- `DIR/talos/<node>.yaml`: the named patch documents sent for each node's machine configuration.
- `DIR/.idpctl-render`: the marker that says the directory is a render, listing the files written.
Exit 0 on success, 2 on a configuration error, 3 when a mandatory CrossGuard rule is violated or a
rendered object refers to something nothing in the environment creates (idpctl/integrity.py); the
files are still written, so the problem can be inspected.

`--out` never loses anything: a directory that is not empty and has no marker is refused unless
`--force`, and a new render removes only the files the previous one listed in its marker.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import click
import pulumi
import yaml

from idpctl import integrity
from idpctl.envfile import check_env_matches, read_file, secure_keys
from idpctl.outdir import OutDirError, check, claim, record
from idpctl.policy_scan import scan
from idpctl.runtime import SECRET, LayerResult, is_secret_envelope, mask, run_layers, unwrap
from stacks.config import LAYERS
from stacks.loading import ConfigError, load_environment

TALOS_CONFIG_CALL = "talos:machine/getConfiguration:getConfiguration"

# libyaml's emitter when PyYAML was built with it: about 3x faster than the pure-Python one.
FastDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _has_escaped_string(obj: object) -> bool:
    """True if a key or value holds a line break, control or non-ASCII character.

    Only such strings are written double-quoted, and there libyaml folds long lines at other
    places than PyYAML's own emitter: the same data in different bytes. Everything else comes
    out byte for byte the same from both.
    """
    stack: list[Any] = [obj]
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
    """Write into `out`, which `outdir.claim` has emptied of the previous render's files."""
    (out / "manifests").mkdir(parents=True, exist_ok=True)
    resources: list[dict] = []
    exports: dict[str, dict] = {}
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
    for result in results.values():
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
    host = urlparse(harbor_url).hostname if isinstance(harbor_url, str) else None
    hosts = (host,) if host else ()
    return integrity.dangling(results.values(), integrity.provided_by(results.values()), registry_hosts=hosts)


@click.command()
@click.option("--config-file", type=click.Path(path_type=Path), required=True, help="Pulumi.<env>.yaml")
@click.option("--env", "env_name", required=True, help="environment name (the <env> of the stacks)")
@click.option("--layer", type=click.Choice([*LAYERS, "all"]), default="all", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="output directory (a previous render in it is replaced)")
@click.option("--force", is_flag=True, help="write into a non-empty directory that is not a previous render (nothing in it is deleted)")
@click.option("--allow-env-mismatch", is_flag=True, help="accept an --env that differs from the file's Pulumi.<env>.yaml name")
@click.option("--output", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="summary format on stdout")
def render(
    config_file: Path, env_name: str, layer: str, out: Path, force: bool, allow_env_mismatch: bool, output_format: str
) -> None:
    """Render layers offline: no credentials, no network, no decryption."""
    try:
        if not allow_env_mismatch:
            check_env_matches(config_file, env_name)
        source, file_config = read_file(config_file)
        load_environment(env_name, file_config, secure_keys(file_config), source)
        check(out, force)
        layers = list(LAYERS) if layer == "all" else [layer]
        # Every layer up to the last one asked for runs (in runner order); all of them are checked
        # for integrity together, since a layer uses what the earlier ones create. The command
        # ends after writing, so the render's garbage is left to process exit.
        ran, missing = run_layers(list(LAYERS[: max(LAYERS.index(x) for x in layers) + 1]), env_name, file_config, reclaim=False)
        results = {k: v for k, v in ran.items() if k in layers}
        before = claim(out, force)
    except (ConfigError, OutDirError) as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        sys.exit(2)
    except pulumi.RunError as exc:
        for line in str(exc).splitlines():
            click.echo(line, err=True)
        sys.exit(2 if str(exc).startswith("config error") else 1)
    try:
        write_render(out, results)
        record(out, before)
    except OSError as exc:
        click.echo(f"--out {out}: cannot write ({exc.strerror or exc}: {exc.filename or out})", err=True)
        sys.exit(2)
    for key in missing:
        click.echo(f"note: {key} is not set in {config_file.name}; rendered as [secret]", err=True)
    violations = scan(results)
    for line in violations:
        click.echo(f"policy violation: {line}", err=True)
    problems = integrity_problems(ran)
    for problem in problems:
        click.echo(f"integrity error: {problem}", err=True)
    if output_format == "json":
        click.echo(json.dumps(json_summary(results, violations, problems, missing, out), indent=2, sort_keys=True))
    else:
        for line in summary(results):
            click.echo(line)
        click.echo(f"CrossGuard rules: {len(violations)} violation(s)")
        click.echo(f"referential integrity: {len(problems)} dangling reference(s)")
        click.echo(f"written to {out}/")
    if violations:
        click.echo(f"error: {len(violations)} mandatory policy violation(s); `pulumi up` would refuse this", err=True)
    if violations or problems:
        sys.exit(3)


def json_summary(
    results: dict[str, LayerResult], violations: list[str], problems: list, missing: list[str], out: Path
) -> dict:
    """The summary as data: resource counts per stack and type, violations, dangling references, unset secrets."""
    return {
        "stacks": {
            result.stack: {"resources": len(result.resources), "types": dict(Counter(reg.type for reg in result.resources))}
            for result in results.values()
        },
        "policyViolations": violations,
        "danglingReferences": [str(p) for p in problems],
        "unsetSecrets": list(missing),
        "out": str(out),
    }
