"""The GitOps repository layout, written down once.

Tenant applications live at `apps/<project>/<app>/<env>/` (`values.yaml` + `application.yaml`);
a pull request's preview at `apps/<project>/<app>/pr-<N>/`, so every folder's last segment is the
suffix of its namespace (`<project>-<env>`, `<project>-pr-<N>`). The platform's own applications
live under `platform/`, which the root ApplicationSet reads; it never sees `apps/`.

Users of this module: `idpctl app render/promote/path` (and through `idpctl app path` the pipeline
scripts), the projects layer's per-project ApplicationSet (its git generator paths), and the root
ApplicationSet's validation. Argo CD's git directory generator matches a path with Go's
`path.Match`; `path_match` below follows those semantics, so tests can evaluate the generator the
way Argo CD does.
"""

from __future__ import annotations

import re

TENANT_ROOT = "apps"
"""Top folder of tenant applications in the GitOps repository."""
PLATFORM_ROOT = "platform"
"""Top folder of the platform's own applications (the root ApplicationSet's)."""
PREVIEW_PREFIX = "pr-"
"""Folder (and namespace suffix) of a pull request's preview: `pr-<N>`."""


def env_folder(env: str, pr: int | None = None) -> str:
    """`staging`, `production`; previews `pr-<N>`."""
    return f"{PREVIEW_PREFIX}{pr}" if env == "preview" else env


def app_root(project: str, app: str) -> str:
    """`apps/<project>/<app>`: every environment of one application."""
    return f"{TENANT_ROOT}/{project}/{app}"


def app_dir(project: str, app: str, env: str, pr: int | None = None) -> str:
    """`apps/<project>/<app>/<env>` or `apps/<project>/<app>/pr-<N>`."""
    return f"{app_root(project, app)}/{env_folder(env, pr)}"


def generator_paths(project: str, environments: list[str], previews: bool) -> list[str]:
    """The git directory generator paths of a project's ApplicationSet: one per environment (+ previews)."""
    paths = [f"{TENANT_ROOT}/{project}/*/{env}" for env in environments]
    if previews:
        paths.append(f"{TENANT_ROOT}/{project}/*/{PREVIEW_PREFIX}*")
    return paths


def application_name(project: str, app: str, folder: str) -> str:
    """Application names are global in the Argo CD namespace: `<project>-<app>-<folder>`."""
    return f"{project}-{app}-{folder}"


# -- Go's path.Match ---------------------------------------------------------------------------


def path_match(pattern: str, name: str) -> bool:
    """Go's `path.Match(pattern, name)`: `*` and `?` never cross `/`, `[...]` classes, `\\` escapes.

    Raises ValueError on a malformed pattern (Go's ErrBadPattern).
    """
    return re.fullmatch(_translate(pattern), name, flags=re.DOTALL) is not None


def _translate(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i + 1 >= len(pattern):
                raise ValueError(f"bad pattern {pattern!r}: trailing backslash")
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end, cls = _char_class(pattern, i)
            out.append(cls)
            i = end
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _char_class(pattern: str, start: int) -> tuple[int, str]:
    i, negate, items = start + 1, False, []
    if i < len(pattern) and pattern[i] == "^":
        negate, i = True, i + 1
    first = True
    while True:
        if i >= len(pattern):
            raise ValueError(f"bad pattern {pattern!r}: unterminated [")
        if pattern[i] == "]" and not first:
            break
        lo, i = _class_char(pattern, i)
        if i < len(pattern) and pattern[i] == "-" and i + 1 < len(pattern) and pattern[i + 1] != "]":
            hi, i = _class_char(pattern, i + 1)
            items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
        first = False
    body = "".join(items)
    # A class never matches `/` in path.Match.
    return i + 1, f"(?!/)[^{body}]" if negate else f"(?!/)[{body}]"


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    if pattern[i] == "\\":
        if i + 1 >= len(pattern):
            raise ValueError(f"bad pattern {pattern!r}: trailing backslash")
        return pattern[i + 1], i + 2
    return pattern[i], i + 1
