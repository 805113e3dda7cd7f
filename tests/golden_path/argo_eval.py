"""Argo CD's side of the chain, evaluated the way Argo CD does it, for the end-to-end test.

- `repo_directories`: what the repo server lists for a git directory generator -- every directory
  of the checkout except `.git` (and hidden ones), as paths relative to the root.
- `select`: the git directory generator's filter: Go's `path.Match(pattern, dir)` per requested
  path (components/golden_path/layout.path_match), `exclude: true` entries remove matches.
- `generator_params`: the parameters a selected directory gives a Go template (`.path.path`,
  `.path.basename`, `.path.basenameNormalized`, `.path.segments`).
- `render_template`: the template expressions the platform's ApplicationSets use
  (`{{ .path.path }}`, `{{ .path.basename }}`, `{{ index .path.segments N }}`), evaluated with
  `missingkey=error`: any other expression, or a missing key, is an error rather than a guess.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from components.golden_path.layout import path_match

_EXPR = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def repo_directories(root: Path) -> list[str]:
    dirs = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_dir() and not path.is_symlink() and not any(part.startswith(".") for part in rel.parts):
            dirs.append(rel.as_posix())
    return dirs


def select(generator: dict, directories: list[str]) -> list[str]:
    """Directories a `git` generator with `directories:` selects."""
    requested = generator["git"].get("directories") or []
    include = [d["path"] for d in requested if not d.get("exclude")]
    exclude = [d["path"] for d in requested if d.get("exclude")]
    return [
        d for d in directories
        if any(path_match(p, d) for p in include) and not any(path_match(p, d) for p in exclude)
    ]


def generator_params(directory: str) -> dict[str, Any]:
    segments = directory.split("/")
    basename = segments[-1]
    return {"path": {
        "path": directory,
        "basename": basename,
        "basenameNormalized": re.sub(r"[^a-zA-Z0-9-]", "-", basename).lower(),
        "segments": segments,
    }}


def _evaluate(expr: str, params: dict[str, Any]) -> str:
    index = re.fullmatch(r"index\s+\.(\w+)\.(\w+)\s+(\d+)", expr)
    if index:
        group, key, n = index.group(1), index.group(2), int(index.group(3))
        seq = params[group][key]
        if n >= len(seq):
            raise KeyError(f"index {n} out of range for .{group}.{key} ({len(seq)} segments)")
        return str(seq[n])
    field = re.fullmatch(r"\.(\w+)\.(\w+)", expr)
    if field:
        group, key = field.group(1), field.group(2)
        if group not in params or key not in params[group]:
            raise KeyError(f"map has no entry for key .{group}.{key} (missingkey=error)")
        return str(params[group][key])
    raise ValueError(f"template expression {{{{ {expr} }}}} is not one this evaluator knows; extend it deliberately")


def render_template(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {render_template(k, params): render_template(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [render_template(v, params) for v in value]
    if isinstance(value, str):
        return _EXPR.sub(lambda m: _evaluate(m.group(1), params), value)
    return value


def generate(appset: dict, directories: list[str]) -> dict[str, dict]:
    """Applications (by folder) an ApplicationSet with git directory generators makes of a checkout."""
    spec = appset["spec"]
    assert spec.get("goTemplate") is True, "the platform's ApplicationSets use Go templates"
    apps: dict[str, dict] = {}
    for generator in spec["generators"]:
        if "git" not in generator:
            continue
        for directory in select(generator, directories):
            apps[directory] = render_template(spec["template"], generator_params(directory))
    return apps
