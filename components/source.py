"""Reading a hand-written YAML file and reporting each problem at its line.

People edit the environment file (`Pulumi.<env>.yaml`), `platform.yaml`, `score.yaml` and
`values.yaml` by hand, so every problem is reported as one line naming the file, the line and
the key (`platform.yaml:12: ingress.hots: unknown key (did you mean 'host'?)`), never as a
traceback. Both kinds of file go through this module: one reader, one error flattener.

The reader is defensive because these files come from anyone: it refuses text that is not
UTF-8, duplicate keys (YAML keeps the last one silently, which once dropped two projects),
nesting deeper than any real file needs, and aliases that expand into a huge document (a
"billion laughs" file validates for minutes otherwise). The node graph is checked before any
value is built, so those checks cost time proportional to the file, not to its expansion.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from components.model import PATH_ERROR

Loc = tuple[Any, ...]

MAX_BYTES = 4 * 1024 * 1024
"""Larger than any environment or application file; a bigger one is a mistake."""
MAX_DEPTH = 48
"""Nesting levels; the deepest real file (chart values) uses about twelve."""
MAX_NODES = 200_000
"""Values after expanding aliases; the lab environment file has about a thousand."""


class InputError(Exception):
    """A file or value a user gave is invalid; `lines` are ready to print, one problem each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def format_loc(loc: Iterable[Any]) -> str:
    """`('ingress', 'tls', 'enabled')` -> `ingress.tls.enabled`; `('steps', 2)` -> `steps[2]`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _is_marker(part):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def _is_marker(part: Any) -> bool:
    """pydantic's validator and union markers in an error location are not part of the file."""
    return isinstance(part, str) and (part.startswith(("function-", "union[")) or "[" in part)


def parse_path(path: str) -> Loc:
    """Inverse of format_loc for the sub-paths cross-field checks report: `a.b[2].c`."""
    loc: list[Any] = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        loc.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(loc)


@dataclass(frozen=True)
class Source:
    """A parsed YAML file: plain data for validation plus the ruamel tree for line numbers."""

    path: Path
    data: Any
    tree: Any
    display: Callable[[Loc], str] = field(default=format_loc, compare=False)
    """How a location in the file is named in messages (the environment file drops `config.`)."""

    @property
    def name(self) -> str:
        return str(self.path)

    def line(self, loc: Loc) -> int:
        """1-based line of the deepest key or item of `loc` present in the file."""
        node, line = self.tree, _first_line(self.tree)
        for part in loc:
            lc: Any = getattr(node, "lc", None)
            if lc is not None and isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1
                node = node[part]
            elif lc is not None and isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                line = lc.item(part)[0] + 1
                node = node[part]
            elif _is_marker(part):
                continue
            else:
                break
        return line

    def error(self, loc: Loc, message: str) -> str:
        return f"{self.name}:{self.line(loc)}: {self.display(loc) or '<root>'}: {message}"


def _first_line(tree: Any) -> int:
    """Line of the first key (past comments), where problems of the whole file are reported."""
    if isinstance(tree, dict) and tree and hasattr(tree, "lc"):
        return tree.lc.key(next(iter(tree)))[0] + 1
    return 1


def read_text(path: Path) -> str:
    """The file as text; unreadable, oversized or non-UTF-8 files are an InputError with the line."""
    try:
        if path.is_dir():
            raise InputError([f"{path}:1: <root>: is a directory, expected a YAML file"])
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([f"{path}:1: <root>: cannot read ({exc.strerror or exc})"]) from None
    if len(raw) > MAX_BYTES:
        raise InputError([f"{path}:1: <root>: {len(raw)} bytes is larger than {MAX_BYTES} (not a hand-written file?)"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            [f"{path}:{line}: <root>: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError([f"{path}:{line}: <root>: contains a NUL character; not a text file"])
    return text


def load(path: Path, display: Callable[[Loc], str] = format_loc) -> Source:
    """Parse one YAML mapping; every problem the file has as text is an InputError line."""
    return from_text(read_text(path), path, display)


def from_text(text: str, path: Path, display: Callable[[Loc], str] = format_loc) -> Source:
    """Parse `text` as if read from `path` (a file about to be written is checked this way)."""
    tree = parse(text, path, display)
    if tree is None:
        tree = {}
    if not isinstance(tree, dict):
        raise InputError([f"{path}:1: <root>: expected a mapping of keys"])
    return Source(path=path, data=plain(tree), tree=tree, display=display)


def parse(text: str, path: Path, display: Callable[[Loc], str] = format_loc) -> Any:
    """The ruamel round-trip tree of `text`, after checking its node graph (see the module doc)."""
    try:
        node = YAML(typ="rt").compose(text)
    except RecursionError:
        raise InputError([f"{path}:1: <root>: nested more than {MAX_DEPTH} levels deep"]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise InputError([f"{path}:{line}: <root>: not valid YAML ({exc.problem or exc.context})"]) from None
    except YAMLError as exc:
        raise InputError([f"{path}:1: <root>: not valid YAML ({str(exc).splitlines()[0] if str(exc) else exc})"]) from None
    if node is None:
        return None
    problems = _check_graph(node, path, display)
    if problems:
        raise InputError(problems)
    try:
        return YAML(typ="rt").load(text)
    except (MarkedYAMLError, YAMLError, RecursionError, ValueError) as exc:  # tags ruamel cannot build
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InputError([f"{path}:{line}: <root>: not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None


def _check_graph(root: Node, path: Path, display: Callable[[Loc], str]) -> list[str]:
    """Duplicate keys, non-scalar keys, depth, alias cycles and expansion size, with their lines."""
    problems: list[str] = []
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def at(node: Node, loc: Loc, message: str) -> None:
        problems.append(f"{path}:{node.start_mark.line + 1}: {display(loc) or '<root>'}: {message}")

    def walk(node: Node, loc: Loc, depth: int) -> int:
        """Expanded size of `node`; problems are collected, never raised, so all are reported."""
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in active:
            at(node, loc, "an alias refers to the value that contains it (a cycle)")
            return MAX_NODES
        if depth > MAX_DEPTH:
            at(node, loc, f"nested more than {MAX_DEPTH} levels deep")
            return MAX_NODES
        active.add(id(node))
        size = 1
        if isinstance(node, MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    at(key, loc, "a key must be a plain scalar, not a list or mapping")
                    continue
                if str(key.tag or "").endswith(":merge") or key.value == "<<":
                    size += walk(value, loc, depth + 1)
                    continue
                name = key.value
                if name in seen:
                    at(key, loc + (name,), f"duplicate key (first at line {seen[name]}); YAML would silently keep only the last")
                else:
                    seen[name] = key.start_mark.line + 1
                size += walk(value, loc + (name,), depth + 1)
                if size >= MAX_NODES:
                    break
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                size += walk(item, loc + (index,), depth + 1)
                if size >= MAX_NODES:
                    break
        active.discard(id(node))
        sizes[id(node)] = size
        return size

    try:
        total = walk(root, (), 0)
    except RecursionError:
        return [f"{path}:1: <root>: nested more than {MAX_DEPTH} levels deep"]
    if total >= MAX_NODES and not problems:
        problems.append(
            f"{path}:1: <root>: expands to more than {MAX_NODES} values through aliases (&anchor/*alias); write it out plainly"
        )
    return problems


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


# ---------------------------------------------------------------------------------------------
# Flattening pydantic errors


def flatten(exc: ValidationError, model: type[BaseModel] | None = None) -> list[tuple[Loc, str]]:
    """(location, message) per problem, in the model's own terms: cross-field checks expanded to
    the key they name, unknown keys with a suggestion, one message per key (a union does not
    report each of its branches)."""
    out: list[tuple[Loc, str]] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == PATH_ERROR:
            for sub, message in err["ctx"]["errors"]:
                out.append((loc + parse_path(sub), message))
            continue
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key" + suggestion(model, loc)
        elif err["type"] == "missing":
            message = "required key is missing"
        elif err["type"] == "none_required":
            continue  # the `None` branch of an optional value: the other branch says what is wrong
        elif message.startswith(("Value error, ", "Assertion failed, ")):
            message = message.split(", ", 1)[1]
        if err["type"] in ("model_type", "dict_type") and err.get("input") is None:
            message = "is empty (null); give it a value or remove the key"
        key = format_loc(loc)
        if key in seen:
            continue
        seen.add(key)
        out.append((loc, message))
    return out


def error_lines(exc: ValidationError, source: Source, model: type[BaseModel] | None = None) -> list[str]:
    return [source.error(loc, message) for loc, message in flatten(exc, model)]


def validate(model: type[BaseModel], source: Source, data: Any = None) -> BaseModel:
    """Validate `data` (default: the whole file) with `model`; InputError with located lines."""
    try:
        return model.model_validate(source.data if data is None else data)
    except ValidationError as exc:
        raise InputError(error_lines(exc, source, model)) from None


def suggestion(model: type[BaseModel] | None, loc: Loc, extra: Iterable[str] = ()) -> str:
    """` (did you mean 'host'?)` when a known key of the same model is close to the typo."""
    if not loc:
        return ""
    known = [*(keys_at(model, loc[:-1]) if model is not None else []), *extra]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Keys (aliases) of the model reached by following `loc` through fields, lists and dicts."""
    current: Any = model
    for part in loc:
        if _is_marker(part):
            continue
        current = _strip(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            found = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            current = found.annotation if found else None
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
