"""An output directory that a command may fill without ever losing what a user put there.

A render writes into `--out DIR`. DIR may be new, empty, or a previous render: then it carries
a marker file listing the files that render wrote, and only those are removed before the new
render is written. Any other non-empty directory (a checkout, a home directory, `--out .`) is
refused unless `--force`, and even then nothing in it is deleted. Nothing outside DIR is ever
touched: listed paths that leave DIR, or go through a symbolic link, are ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MARKER = ".idpctl-render"


class OutDirError(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _listed(out: Path) -> list[str] | None:
    """Files the previous render wrote (relative paths), or None when DIR is not a render."""
    marker = out / MARKER
    if marker.is_symlink() or not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return files


def _inside(out: Path, rel: str) -> Path | None:
    """`out/rel` if it stays inside `out` without crossing a symbolic link; else None."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        return None
    current = out
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink() or not current.is_dir():
            return None
    return current / parts[-1]


def check(out: Path, force: bool) -> None:
    """Refuse before any work is done: DIR is a file, or holds things a render did not write."""
    if out.is_symlink() and not out.is_dir():
        raise OutDirError([f"--out {out}: is a symbolic link to something that is not a directory"])
    if out.exists() and not out.is_dir():
        raise OutDirError([f"--out {out}: exists and is not a directory"])
    existing = next((p for p in (out, *out.absolute().parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutDirError([f"--out {out}: cannot write into {existing} (permission denied)"])
    if not out.exists() or force or _listed(out) is not None:
        return
    if any(out.iterdir()):
        raise OutDirError(
            [
                f"--out {out}: is not empty and was not written by `idpctl render` (no {MARKER} file); "
                "choose a new or empty directory, or pass --force to write into it without deleting anything"
            ]
        )


def claim(out: Path, force: bool) -> set[str]:
    """Check DIR, remove the previous render's files, and return the files DIR holds now."""
    check(out, force)
    parents: set[Path] = set()
    for rel in _listed(out) or []:
        path = _inside(out, rel)
        if path is not None and (path.is_file() or path.is_symlink()):
            path.unlink()
            parents.update(p for p in path.parents if p != out and out in p.parents)
    _remove_empty_dirs(parents)
    out.mkdir(parents=True, exist_ok=True)
    return _files(out)


def record(out: Path, before: set[str]) -> list[str]:
    """Write the marker: every file in DIR now that was not there before the render."""
    written = sorted(_files(out) - before - {MARKER})
    tmp = out / f"{MARKER}.tmp"
    tmp.write_text(json.dumps({"files": written}, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out / MARKER)
    return written


def _files(out: Path) -> set[str]:
    found = set()
    for root, _dirs, names in os.walk(out):  # os.walk does not follow symbolic links by default
        for name in names:
            found.add(str((Path(root) / name).relative_to(out)))
    return found


def _remove_empty_dirs(dirs: set[Path]) -> None:
    """Directories of the previous render's files that are now empty, deepest first."""
    for path in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()
