"""Every link in the repository's Markdown resolves, and no document points outside the repository.

Users get the repository alone: a link (or a path in the text) into `../shared` or any other place
beside it is a broken document for them. Links into docs/environment/ point at the pages
`idpctl docs` generates for the portal; links to runbooks that are written alongside are accepted
only while the file is absent (helpers.PENDING_DOCS).
"""

from __future__ import annotations

import re

import pytest

from idpctl.portal import PAGES
from tests.docs.helpers import GENERATED, PENDING_DOCS, PENDING_RUNBOOKS, REPO, anchors, is_external, links, markdown_files

DOCS = markdown_files()


def test_the_documents_are_found():
    names = {p.relative_to(REPO).as_posix() for p in DOCS}
    assert {"README.md", "docs/index.md", "docs/standards.md", "docs/architecture.md", "docs/runbooks/index.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_links_resolve_inside_the_repository(path):
    problems = []
    for line, target in links(path):
        if is_external(target):
            continue
        file_part, _, fragment = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(REPO)}:{line}: {target}"
        if not resolved.is_relative_to(REPO):
            problems.append(f"{where} points outside the repository")
            continue
        relative = resolved.relative_to(REPO).as_posix()
        if resolved.is_relative_to(GENERATED):
            if resolved.relative_to(GENERATED).as_posix() not in PAGES:
                problems.append(f"{where}: `idpctl docs` generates no such page (it writes {', '.join(PAGES)})")
            continue
        if not resolved.exists():
            if relative not in PENDING_DOCS:
                problems.append(f"{where} does not exist")
            continue
        if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            problems.append(f"{where}: no heading with anchor #{fragment} in {relative}")
    assert not problems, "\n".join(problems)


_OUTSIDE = re.compile(r"\.\./shared\b|/work/")
"""The developers' material beside the repository, and absolute paths of a developer's machine."""


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_document_points_outside_the_repository(path):
    hits = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OUTSIDE.search(line)
    ]
    assert not hits, "documents refer to places outside the repository:\n" + "\n".join(hits)


def test_the_runbook_index_links_every_runbook():
    index = REPO / "docs" / "runbooks" / "index.md"
    linked = {(index.parent / t).resolve().relative_to(REPO).as_posix() for _, t in links(index) if not is_external(t)}
    present = {p.relative_to(REPO).as_posix() for p in (REPO / "docs" / "runbooks").glob("*.md") if p.name != "index.md"}
    assert present <= linked, f"runbooks missing from docs/runbooks/index.md: {sorted(present - linked)}"
    assert PENDING_RUNBOOKS <= linked


def test_the_adr_index_lists_every_adr():
    index = REPO / "docs" / "adr" / "index.md"
    linked = {t for _, t in links(index)}
    records = sorted(p.name for p in index.parent.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert records and set(records) <= linked, f"ADRs missing from docs/adr/index.md: {sorted(set(records) - linked)}"
