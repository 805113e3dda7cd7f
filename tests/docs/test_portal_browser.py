"""The portal as a reader sees it: built like `make portal`, served on 127.0.0.1, loaded in headless
Chromium. The catalog must show every lab project and every platform service URL that the real
programs export (taken from `idpctl render`, not from the page generator), every internal link of
the built site must resolve, and the architecture diagrams must render.

Chromium is Debian's `chromium` package (`scripts/system-packages.sh` installs it; `make portal-test`
runs that first). The screenshot of the catalog stays in the test's temporary directory.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.docs.helpers import PENDING_DOCS, REPO, is_external


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.skip("chromium is not installed: run `bash scripts/system-packages.sh` (Debian package `chromium`)")


@pytest.fixture(scope="module")
def served(built_site):
    """The built site over HTTP on 127.0.0.1 (a free port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_site))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def browse(url: str, *extra: str) -> str:
    """The DOM after scripts ran, as headless Chromium serialises it."""
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
         "--virtual-time-budget=10000", *extra, "--dump-dom", url],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


def screenshot(url: str, path: Path) -> None:
    subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1400,2200", "--virtual-time-budget=10000", f"--screenshot={path}", url],
        capture_output=True, text=True, timeout=180, check=True,
    )


class Page(HTMLParser):
    """Text, link targets and element ids of one HTML document."""

    def __init__(self, html: str):
        super().__init__()
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(f"{tag}.{attrs['class']}" if attrs.get("class") else tag)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "link", "script", "img"):
                self.hrefs.append(attrs[key])

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def test_catalog_shows_every_lab_project_and_service_url(served, lab_render, tmp_path):
    url = f"{served}/environment/catalog.html"
    page = Page(browse(url))
    shot = tmp_path / "catalog.png"
    screenshot(url, shot)
    assert shot.stat().st_size > 10_000

    text, hrefs = page.all_text, set(page.hrefs)
    projects = lab_render["lab-projects"]["projects"]
    assert set(projects) == {"payments", "webshop"}
    problems = []
    for name, project in projects.items():
        for value in (name, project["harborProject"], project["vaultPath"], *project["namespaces"]):
            if value not in text:
                problems.append(f"project {name}: {value!r} not on the page")
        for kind, link in project["urls"].items():
            if kind == "previews":
                if link not in text:
                    problems.append(f"project {name}: preview pattern {link} not on the page")
            elif link not in hrefs:
                problems.append(f"project {name}: {kind} link {link} missing")
    for service, link in lab_render["lab-platform"]["urls"].items():
        if link not in hrefs:
            problems.append(f"service {service}: {link} not linked from the catalog")
    assert "webshop-developers" in text  # the team group the lab file names
    assert not problems, "\n".join(problems) + f"\n(screenshot: {shot})"


def test_architecture_diagrams_render(served, built_site):
    if not (built_site / "assets" / "javascripts" / "mermaid.min.js").exists():
        pytest.skip("no local Mermaid runtime (scripts/portal-assets.sh needs npm); diagrams show as source")
    static = Page((built_site / "architecture.html").read_text(encoding="utf-8"))
    assert static.tags.count("pre.mermaid") == 3
    page = Page(browse(f"{served}/architecture.html"))
    # Material replaces each <pre class="mermaid"> source block by a <div class="mermaid"> holding
    # the rendered SVG (in a closed shadow root, so the SVG itself is not in the serialised DOM).
    assert page.tags.count("div.mermaid") == 3, "the Mermaid diagrams did not render"
    assert "pre.mermaid" not in page.tags and "flowchart" not in page.all_text


def _target(site: Path, page: Path, href: str) -> tuple[Path, str]:
    parts = urlsplit(href)
    path = unquote(parts.path)
    if not path:
        target = page
    elif path.startswith("/"):  # root-absolute, as MkDocs writes them in 404.html
        target = (site / path.lstrip("/")).resolve()
    else:
        target = (page.parent / path).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


def test_every_internal_link_of_the_site_resolves(built_site):
    problems, checked = [], 0
    ids: dict[Path, set[str]] = {}
    pages = sorted(built_site.rglob("*.html"))
    for page in pages:
        for href in Page(page.read_text(encoding="utf-8")).hrefs:
            if is_external(href) or href.startswith("//"):
                continue
            target, fragment = _target(built_site, page, href)
            checked += 1
            where = f"{page.relative_to(built_site)}: {href}"
            if not target.is_relative_to(built_site.resolve()):
                problems.append(f"{where} leaves the site")
            elif not target.exists():
                source = (REPO / "docs" / target.relative_to(built_site.resolve())).with_suffix(".md")
                pending = source.relative_to(REPO).as_posix() in PENDING_DOCS and not source.exists()
                if not pending:
                    problems.append(f"{where} does not exist")
            elif fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = Page(target.read_text(encoding="utf-8")).ids
                if fragment not in ids[target]:
                    problems.append(f"{where}: no element with id {fragment!r}")
    assert checked > 500, f"only {checked} links found in {len(pages)} pages"
    assert not problems, "\n".join(problems)
