"""Documents name only what exists: every `idpctl` command they show answers `--help` with the
options they use, and every repository path they name is in the repository."""

from __future__ import annotations

import itertools
import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tests.docs.helpers import BUILD_OUTPUTS, REPO, code_spans, markdown_files, run

DOCS = markdown_files()
RUNBOOKS = sorted((REPO / "docs" / "runbooks").glob("*.md"))

_IDPCTL = re.compile(r"idpctl((?:\s+[a-z][a-z-]*)+)(.*)")
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


@lru_cache(maxsize=None)
def help_text(*words: str) -> tuple[int, str]:
    result = run(sys.executable, "-m", "idpctl", *words, "--help", timeout=120)
    return result.returncode, result.stdout + result.stderr


def _subcommands(text: str) -> set[str]:
    section = text.split("Commands:", 1)[1] if "Commands:" in text else ""
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()}


def command_uses(path: Path) -> list[tuple[int, tuple[str, ...], set[str]]]:
    """(line, command words, options) of every `idpctl ...` a document shows, `\\` continuations joined."""
    uses = []
    spans = code_spans(path)
    joined: list[tuple[int, str]] = []
    for number, text in spans:
        if joined and joined[-1][1].rstrip().endswith("\\") and joined[-1][0] == number - 1 - (joined[-1][1].count("\\\n")):
            joined[-1] = (joined[-1][0], joined[-1][1].rstrip()[:-1] + " " + text)
        else:
            joined.append((number, text))
    for number, text in joined:
        for match in _IDPCTL.finditer(text):
            words = tuple(match.group(1).split())
            # Words after the command path are arguments; the command path is what `--help` accepts.
            uses.append((number, words, set(_OPTION.findall(match.group(2) + " " + " ".join(words)))))
    return uses


def resolve_command(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """The longest prefix of `words` that is an idpctl command (group and sub-command)."""
    code, top = help_text()
    assert code == 0, top
    if not words or words[0] not in _subcommands(top):
        return None
    path = (words[0],)
    code, text = help_text(*path)
    for word in words[1:]:
        if word not in _subcommands(text):
            break
        path += (word,)
        code, text = help_text(*path)
    return path


ALL_USES = [(doc, line, words, options) for doc in DOCS for line, words, options in command_uses(doc)]


def test_the_runbooks_show_idpctl_commands():
    used = {resolve_command(w) for d, _, w, _ in ALL_USES if d in RUNBOOKS}
    assert {("validate",), ("render",), ("ca",), ("project", "add")} <= used


@pytest.mark.parametrize("doc", sorted({d for d, *_ in ALL_USES}), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_idpctl_command_a_document_names_exists_with_its_options(doc):
    problems = []
    for _, line, words, options in (u for u in ALL_USES if u[0] == doc):
        path = resolve_command(words)
        where = f"{doc.relative_to(REPO)}:{line}: idpctl {' '.join(words)}"
        if path is None:
            problems.append(f"{where}: no such command (`python -m idpctl --help` lists them)")
            continue
        code, text = help_text(*path)
        if code != 0:
            problems.append(f"{where}: `idpctl {' '.join(path)} --help` exited {code}: {text[-300:]}")
            continue
        group = "Commands:" in text
        if group and len(path) == len(words) and words == path and not options:
            continue  # a group named on its own, e.g. "the `idpctl app` commands"
        missing = sorted(o for o in options if o not in text)
        if missing:
            problems.append(f"{where}: `idpctl {' '.join(path)}` has no option {', '.join(missing)}")
    assert not problems, "\n".join(problems)


# -- repository paths -------------------------------------------------------------------------

TOP_LEVEL = sorted(p.name for p in REPO.iterdir() if not p.name.startswith(".") and p.name not in {"site", "out"})
_PATH = re.compile(r"(?<![\w./<$-])((?:%s)(?:/[\w.{},@+-]+)*/?)(?![\w<*$])" % "|".join(re.escape(n) for n in TOP_LEVEL if "/" not in n))


def _expand(token: str) -> list[str]:
    """Brace lists as the docs write them: `components/platform/{vault,kyverno}.py`."""
    parts = re.split(r"\{([^{}]*)\}", token)
    options = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(choice) for choice in itertools.product(*options)]


def named_paths(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, text in code_spans(path):
        for match in _PATH.finditer(text):
            token = match.group(1).rstrip(".,;:")
            if "/" not in token and not (REPO / token).is_file():
                continue  # a bare word like `docs` or `stacks` in prose, not a path
            found += [(number, t) for t in _expand(token)]
    return found


def test_paths_are_recognised():
    sample = REPO / "docs" / "standards.md"
    assert ("components/platform/chart.py" in {p for _, p in named_paths(sample)})


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_path_a_document_names_exists(doc):
    missing = [
        f"{doc.relative_to(REPO)}:{n}: {p}"
        for n, p in named_paths(doc)
        if not (REPO / p.rstrip("/")).exists() and not p.rstrip("/").startswith(BUILD_OUTPUTS)
    ]
    assert not missing, "paths named in documents that are not in the repository:\n" + "\n".join(missing)
