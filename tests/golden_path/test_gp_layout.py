"""The GitOps layout, written once (components/golden_path/layout.py), and its path matching.

`path_match` must behave as Go's `path.Match`, which Argo CD's git directory generator uses; the
cases are those of Go's own table (src/path/match_test.go) that concern us, plus the layout's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from components.golden_path import layout

REPO = Path(__file__).resolve().parents[2]

GO_CASES = [
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
    ("a*", "ab/c", False), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False), ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False), ("ab[c]", "abc", True), ("ab[b-d]", "abc", True),
    ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False), ("ab[^b-d]", "abc", False), ("ab[^e-g]", "abc", True),
    ("a\\*b", "a*b", True), ("a\\*b", "ab", False), ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True),
    ("a???b", "a☺b", False), ("*x", "xxx", True), ("a?b", "a/b", False), ("*", "a/b", False),
]


@pytest.mark.parametrize("pattern,name,matches", GO_CASES)
def test_path_match_follows_go(pattern, name, matches):
    assert layout.path_match(pattern, name) is matches


@pytest.mark.parametrize("pattern", ["[", "a[", "a\\", "[a-"])
def test_malformed_patterns_are_errors(pattern):
    with pytest.raises(ValueError, match="bad pattern"):
        layout.path_match(pattern, "a")


def test_generator_paths_select_exactly_the_environment_folders():
    paths = layout.generator_paths("shop", ["staging", "production"], previews=True)
    folders = [
        "apps", "apps/shop", "apps/shop/web", "apps/shop/web/staging", "apps/shop/web/production",
        "apps/shop/web/pr-12", "apps/shop/web/staging/extra", "apps/shopping/web/staging", "apps/other/web/staging",
        "platform/argocd",
    ]
    selected = [f for f in folders if any(layout.path_match(p, f) for p in paths)]
    assert selected == ["apps/shop/web/staging", "apps/shop/web/production", "apps/shop/web/pr-12"]
    assert [layout.app_dir("shop", "web", e, p) for e, p in (("staging", None), ("preview", 12))] == [
        "apps/shop/web/staging", "apps/shop/web/pr-12"]


def test_idpctl_app_path_prints_the_layout():
    def path(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "idpctl", "app", "path", "examples/hello/platform.yaml", *args],
                              cwd=REPO, capture_output=True, text=True)

    assert path().stdout.strip() == "apps/webshop/hello"
    assert path("--env", "staging").stdout.strip() == "apps/webshop/hello/staging"
    assert path("--env", "preview", "--pr", "3").stdout.strip() == "apps/webshop/hello/pr-3"
    missing = path("--env", "preview")
    assert missing.returncode == 2 and "--pr N is required" in missing.stderr


def test_render_into_a_gitops_checkout_follows_the_layout(tmp_path):
    def app(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "idpctl", "app", *args], cwd=REPO, capture_output=True, text=True)

    rendered = app("render", "examples/hello/platform.yaml", "--env", "preview", "--pr", "5", "--image-tag", "abc123",
                   "--gitops-root", str(tmp_path))
    assert rendered.returncode == 0, rendered.stderr
    folder = tmp_path / "apps" / "webshop" / "hello" / "pr-5"
    assert sorted(p.name for p in folder.iterdir()) == ["application.yaml", "values.yaml"]
    both = app("render", "examples/hello/platform.yaml", "--env", "staging", "--image-tag", "abc123",
               "--gitops-root", str(tmp_path), "--out", str(tmp_path / "x"))
    assert both.returncode == 2 and "exactly one of --out DIR or --gitops-root DIR" in both.stderr
    promoted = app("promote", "examples/hello/platform.yaml", "--gitops-root", str(tmp_path))
    assert promoted.returncode == 2 and "staging/values.yaml: not found" in promoted.stderr
