"""Helpers of the documentation and portal tests: the repository's Markdown, links, anchors."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "docs" / "environment"
BUILD_OUTPUTS = ("docs/environment", "docs/assets/javascripts", "site", "out", ".venv", ".tools")
"""Paths that builds create (ignored by git): documents may name them before they exist."""
SKIP_DIRS = {".venv", ".tools", ".git", "site", "out", "node_modules", ".pytest_cache", "__pycache__"}

PENDING_RUNBOOKS = {
    "docs/runbooks/ldap-rotation.md",
    "docs/runbooks/etcd-recovery.md",
    "docs/runbooks/longhorn-restore.md",
    "docs/runbooks/cnpg-restore.md",
}
"""Runbooks the runbook index links that are written alongside this change."""
PENDING_DOCS = PENDING_RUNBOOKS | {"docs/adr/0017-rabbitmq-operator-release-manifest.md"}
"""Documents linked before they land: a link to one is accepted only while the file does not exist
yet; once it exists it is checked like any other."""


def markdown_files() -> list[Path]:
    """Every Markdown document of the repository (generated pages and build output excluded)."""
    files = []
    for path in sorted(REPO.rglob("*.md")):
        parts = set(path.relative_to(REPO).parts)
        if parts & SKIP_DIRS or path.is_relative_to(GENERATED):
            continue
        files.append(path)
    return files


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=timeout)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def slugify(text: str) -> str:
    """Python-Markdown's toc slug (the one MkDocs uses): lower case, words joined by '-'."""
    text = re.sub(r"`|\*\*|\*|<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path: Path) -> set[str]:
    """Heading anchors of a Markdown file (code blocks ignored)."""
    found, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            found.add(slugify(match.group(2)))
    return found


_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) outside fenced code blocks, inline code removed."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, _INLINE_CODE.sub("", line)))
    return lines


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every Markdown link outside code."""
    return [(n, m.group(1)) for n, line in prose_lines(path) for m in _LINK.finditer(line)]


def code_spans(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of inline code spans and of each line of fenced code blocks."""
    spans, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            spans.append((number, line))
        else:
            spans += [(number, m.group(0).strip("`")) for m in _INLINE_CODE.finditer(line)]
    return spans


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target))
