"""`idpctl render --out`: the output directory never loses what a user put there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idpctl.outdir import MARKER, OutDirError, check, claim, record


def _render_into(out: Path, files: dict[str, str]) -> None:
    before = claim(out, force=False)
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    record(out, before)


def test_a_new_directory_is_created_and_marked(tmp_path):
    out = tmp_path / "new"
    _render_into(out, {"resources.json": "[]", "manifests/vms/a.yaml": "a"})
    assert json.loads((out / MARKER).read_text())["files"] == ["manifests/vms/a.yaml", "resources.json"]


def test_only_the_previous_renders_files_are_removed(tmp_path):
    out = tmp_path / "out"
    _render_into(out, {"resources.json": "[]", "manifests/vms/old.yaml": "old"})
    (out / "manifests" / "notes.md").write_text("mine")
    _render_into(out, {"resources.json": "[1]"})
    assert not (out / "manifests" / "vms").exists(), "a directory the render emptied goes"
    assert (out / "manifests" / "notes.md").read_text() == "mine"
    assert (out / "resources.json").read_text() == "[1]"


def test_a_symbolic_link_in_the_marker_path_is_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.yaml").write_text("keep")
    out = tmp_path / "out"
    _render_into(out, {"resources.json": "[]"})
    (out / "manifests").mkdir()
    (out / "manifests" / "vms").symlink_to(outside, target_is_directory=True)
    marker = json.loads((out / MARKER).read_text())
    marker["files"] += ["manifests/vms/precious.yaml", str(outside / "precious.yaml"), "../outside/precious.yaml"]
    (out / MARKER).write_text(json.dumps(marker))
    claim(out, force=False)
    assert (outside / "precious.yaml").read_text() == "keep"


@pytest.mark.parametrize("content", ["a file", "a directory"])
def test_a_foreign_non_empty_directory_is_refused_unless_forced(tmp_path, content):
    out = tmp_path / "work"
    out.mkdir()
    (out / "x").mkdir() if content == "a directory" else (out / "x").write_text("mine")
    with pytest.raises(OutDirError, match="--force"):
        check(out, force=False)
    before = claim(out, force=True)
    assert "x" in before or (out / "x").is_dir()
    record(out, before)
    assert (out / "x").exists()
    assert json.loads((out / MARKER).read_text())["files"] == []


def test_a_broken_marker_does_not_make_a_directory_ours(tmp_path):
    out = tmp_path / "work"
    out.mkdir()
    (out / MARKER).write_text("not json")
    (out / "mine.txt").write_text("mine")
    with pytest.raises(OutDirError):
        check(out, force=False)


def test_an_unwritable_parent_is_one_clear_error(tmp_path, monkeypatch):
    import os

    parent = tmp_path / "locked"
    parent.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == parent else real_access(p, mode))
    with pytest.raises(OutDirError, match="permission denied"):
        check(parent / "out", force=False)
    assert list(parent.iterdir()) == []
