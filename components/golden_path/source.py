"""Reading a team's YAML file and reporting problems at their line.

Teams edit `platform.yaml`, `score.yaml` or `values.yaml` by hand, so every problem is reported
as one line naming the file, the line and the field (`platform.yaml:12: ingress.hots: unknown
key (did you mean 'host'?)`), never as a traceback. The YAML is read with ruamel.yaml's
round-trip loader because it keeps the line and column of every key and item.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from components.model import PATH_ERROR

Loc = tuple[Any, ...]


class SpecError(Exception):
    """A user file is invalid; `lines` are ready to print, one problem each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Source:
    """A parsed YAML file: plain data for validation plus the ruamel tree for line numbers."""

    path: Path
    data: Any
    tree: Any

    @property
    def name(self) -> str:
        return str(self.path)

    def line(self, loc: Loc) -> int:
        """1-based line of the deepest key or item of `loc` present in the file."""
        node, line = self.tree, _first_line(self.tree)
        for part in loc:
            if hasattr(node, "lc") and isinstance(node, dict) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif hasattr(node, "lc") and isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            elif isinstance(part, str) and (part.startswith(("function-", "union[")) or "[" in part):
                continue  # pydantic's validator and union markers are not part of the file
            else:
                break
        return line

    def error(self, loc: Loc, message: str) -> str:
        return f"{self.name}:{self.line(loc)}: {format_loc(loc) or '<root>'}: {message}"


def _first_line(tree: Any) -> int:
    """Line of the first key (past comments), where problems of the whole file are reported."""
    if isinstance(tree, dict) and tree:
        return tree.lc.key(next(iter(tree)))[0] + 1
    return 1


def load(path: Path) -> Source:
    """Parse one YAML document; unreadable or malformed files are a SpecError with the line."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError([f"{path}: cannot read ({exc.strerror})"]) from None
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise SpecError([f"{where}: not valid YAML ({exc.problem or exc.context})"]) from None
    if not isinstance(tree, dict):
        raise SpecError([f"{path}:1: <root>: expected a mapping of keys"])
    return Source(path=path, data=plain(tree), tree=tree)


def plain(node: Any) -> Any:
    """ruamel's commented containers and scalars as plain Python values."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def format_loc(loc: Iterable[Any]) -> str:
    """`('ingress', 'tls', 'enabled')` -> `ingress.tls.enabled`; `('steps', 2)` -> `steps[2]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and (part.startswith(("function-", "union[")) or "[" in part):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def parse_path(path: str) -> Loc:
    """Inverse of format_loc for the sub-paths cross-field checks report: `a.b[2].c`."""
    loc: list[Any] = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        loc.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(loc)


def validate(model: type[BaseModel], source: Source, data: Any = None) -> BaseModel:
    """Validate `data` (default: the whole file) with `model`; SpecError with located lines."""
    try:
        return model.model_validate(source.data if data is None else data)
    except ValidationError as exc:
        raise SpecError(error_lines(exc, source, model)) from None


def error_lines(exc: ValidationError, source: Source, model: type[BaseModel] | None = None) -> list[str]:
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == PATH_ERROR:
            for sub, message in err["ctx"]["errors"]:
                lines.append(source.error(loc + parse_path(sub), message))
            continue
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key" + _suggestion(model, loc)
        elif err["type"] == "missing":
            message = "required key is missing"
        elif message.startswith(("Value error, ", "Assertion failed, ")):
            message = message.split(", ", 1)[1]
        lines.append(source.error(loc, message))
    return lines


def _suggestion(model: type[BaseModel] | None, loc: Loc) -> str:
    """` (did you mean 'host'?)` when a known key of the same model is close to the typo."""
    if model is None or not loc:
        return ""
    known = _keys_at(model, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Keys (aliases) of the model reached by following `loc` through fields, lists and dicts."""
    current: Any = model
    for part in loc:
        current = _strip(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            current = field.annotation if field else None
        else:
            args = typing.get_args(current)  # list[X] or dict[K, X]: step into X
            current = args[-1] if args else None
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _strip(tp: Any) -> Any:
    """`Annotated[X, ...]` and `X | None` -> X."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if args else None
        else:
            return tp
