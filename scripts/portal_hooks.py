"""MkDocs hook: links from docs/ to other files of the repository work in the portal too.

The guides link to files beside docs/ (`../charts/platform-app/README.md`,
`../examples/hello/platform.yaml`), which is right when reading the repository but would be broken
links in the built site. This hook publishes every repository file a page links to under
`repository/<path>` (Markdown rendered as a page, anything else copied as is) and rewrites the link
to it. Only files inside the repository are published; nothing outside it is ever read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mkdocs.structure.files import File, Files, InclusionLevel

PREFIX = "repository"
_LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\))")
_targets: dict[str, dict[str, str]] = {}
"""page src_uri -> {link as written: src_uri of the published copy}"""


def _outside_links(page_path: Path, docs_dir: Path, repo: Path, text: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for match in _LINK.finditer(text):
        target = match.group(2)
        if "://" in target or target.startswith(("mailto:", "/")):
            continue
        resolved = (page_path.parent / target).resolve()
        if resolved.is_relative_to(docs_dir) or not resolved.is_relative_to(repo) or not resolved.is_file():
            continue
        found[target] = resolved
    return found


def on_files(files: Files, config) -> Files:
    docs_dir = Path(config["docs_dir"]).resolve()
    repo = Path(config["config_file_path"]).resolve().parent
    published: set[str] = set()
    _targets.clear()
    for page in list(files.documentation_pages()):
        path = Path(page.abs_src_path)
        links = _outside_links(path, docs_dir, repo, path.read_text(encoding="utf-8"))
        if not links:
            continue
        _targets[page.src_uri] = {}
        for target, resolved in links.items():
            src_uri = f"{PREFIX}/{resolved.relative_to(repo).as_posix()}"
            _targets[page.src_uri][target] = src_uri
            if src_uri not in published:
                files.append(File.generated(config, src_uri, abs_src_path=str(resolved), inclusion=InclusionLevel.NOT_IN_NAV))
                published.add(src_uri)
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    targets = _targets.get(page.file.src_uri)
    if not targets:
        return markdown
    page_dir = os.path.dirname(page.file.src_uri)

    def rewrite(match: re.Match) -> str:
        target = match.group(2)
        if target not in targets:
            return match.group(0)
        new = os.path.relpath(targets[target], page_dir or ".")
        return f"{match.group(1)}{new}{match.group(3) or ''}{match.group(4)}"

    return _LINK.sub(rewrite, markdown)


SECTIONS = {"environment": "Environment", "runbooks": "Runbooks", "adr": "Decisions (ADRs)", "repository": "Repository files"}
"""Section titles and order after the home page; folders not listed keep their place."""


def on_nav(nav, config, files):
    """Name the folder sections and put them in reading order: environment first, decisions last."""
    order = list(SECTIONS)
    sections, pages = [], []
    for item in nav.items:
        key = None
        if item.is_section:
            first = next((c for c in item.children if c.is_page), None)
            key = first.file.src_uri.split("/", 1)[0] if first else None
        if key in SECTIONS:
            item.title = SECTIONS[key]
            sections.append((order.index(key), item))
        else:
            pages.append(item)
    home, rest = pages[:1], pages[1:]
    env = [s for i, s in sorted(sections, key=lambda x: x[0]) if SECTIONS.get("environment") == s.title]
    others = [s for i, s in sorted(sections, key=lambda x: x[0]) if s.title != SECTIONS["environment"]]
    nav.items[:] = home + env + rest + others
    return nav
