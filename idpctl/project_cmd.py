"""`idpctl project add|remove`: edit the tenant projects of an environment file in place.

A project is one entry under `idp:projects` in `Pulumi.<env>.yaml`; `pulumi up` of `<env>-projects`
then creates or removes everything it has. These commands change only that list: the file is read
and written with ruamel.yaml's round-trip mode, so comments, key order, quoting and flow style stay
as they were. The edited file is validated with the same models every layer uses
(`stacks.loading.load_environment`) before it is written; on a problem the command prints one
`<file>:<line>: <key>: <message>` line per problem, exits 2 and leaves the file byte for byte as it was.
Line endings, a byte-order mark and the file mode are kept; a symbolic link is followed and its
target edited, so the link stays a link. A file the user cannot write is refused before any work.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import click
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from components.source import from_text, read_text
from stacks.loading import ConfigError, check_env_matches, display, load_environment, secure_keys

PROJECTS_KEY = "idp:projects"


def _yaml() -> YAML:
    """Round-trip YAML with the layout of our environment files (2-space maps, `  - ` items)."""
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 4096
    return rt


@dataclass(frozen=True)
class _File:
    """The file as found: where its bytes really live and how they are laid out."""

    shown: Path
    """The path the user gave (messages name it)."""
    target: Path
    """The file written: a symbolic link is followed, so the link stays a link."""
    crlf: bool
    bom: bool


def _open(path: Path) -> tuple[_File, Any]:
    """Resolve, check writable, parse with the shared reader; ConfigError lines on any problem."""
    target = Path(os.path.realpath(path))
    text = read_text(path)  # unreadable, not UTF-8, oversized: one located line
    from_text(text, path, display)  # duplicate keys, aliases, nesting: one located line each
    if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK | os.X_OK):
        where = target if target == path.absolute() else f"{target} (the target of {path})"
        raise ConfigError([f"{path}:1: <root>: cannot write {where}: permission denied; the file is unchanged"])
    mode = target.stat().st_mode
    if not stat.S_ISREG(mode):
        raise ConfigError([f"{path}:1: <root>: is not a regular file"])
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):  # read-only on purpose, even for root
        raise ConfigError([f"{path}:1: <root>: is read-only (mode {stat.S_IMODE(mode):04o}): permission denied; the file is unchanged"])
    raw = target.read_bytes()
    try:
        document = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError([f"{path}:1: <root>: not valid YAML ({exc})"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise ConfigError([f"{path}:1: <root>: expected a mapping with a `config:` block"])
    return _File(path, target, crlf=b"\r\n" in raw, bom=raw.startswith(b"\xef\xbb\xbf")), document


def _dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _validate(text: str, file: _File, env_name: str) -> None:
    """Validate the would-be file exactly as `idpctl validate` and the layers do."""
    source = from_text(text, file.shown, display)
    config = source.data.get("config") or {}
    load_environment(env_name, config, secure_keys(config), source)


def _encode(text: str, file: _File) -> bytes:
    """Back to the file's own layout: CRLF line endings and a byte-order mark when it had them."""
    if file.crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if file.bom else b"") + text.encode("utf-8")


def _write(file: _File, data: bytes) -> None:
    """Replace the target atomically with its mode kept, so a failure leaves the old bytes."""
    target = file.target
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _config_file(env_name: str, config_file: Path | None) -> Path:
    return config_file if config_file is not None else Path(f"Pulumi.{env_name}.yaml")


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def new_entry(
    name: str,
    environments: tuple[str, ...],
    team_group: str | None,
    source_repos: tuple[str, ...],
    preview_repo: str | None,
    no_preview: bool,
) -> CommentedMap:
    """The config entry for a project; only what differs from the model's defaults is written."""
    entry = CommentedMap()
    entry["name"] = name
    if environments:
        entry["environments"] = _flow(list(environments))
    if team_group:
        entry["teamGroup"] = team_group
    if source_repos:
        entry["sourceRepos"] = _flow(list(source_repos))
    if no_preview:
        entry["preview"] = CommentedMap([("enabled", False)])
    elif preview_repo:
        entry["preview"] = CommentedMap([("repoUrl", preview_repo)])
    return entry


def _apply(path: Path, env_name: str, change: Callable[[CommentedMap], str]) -> str:
    """Load, change, validate, write; any failure leaves the file byte for byte as it was."""
    file, document = _open(path)
    message = change(document["config"])
    text = _dump(document)
    _validate(text, file, env_name)
    try:
        _write(file, _encode(text, file))
    except OSError as exc:
        raise ConfigError([f"{path}:1: <root>: cannot write ({exc.strerror or exc}); the file is unchanged"]) from None
    return message


def _run(path: Path, env_name: str, change: Callable[[CommentedMap], str], allow_env_mismatch: bool) -> None:
    try:
        if not allow_env_mismatch:
            check_env_matches(path, env_name)
        message = _apply(path, env_name, change)
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        sys.exit(2)
    click.echo(message)


@click.group()
def project() -> None:
    """Add or remove tenant projects in an environment file (then `pulumi up` <env>-projects)."""


_env_option = click.option("--env", "env_name", default="lab", show_default=True, help="environment name")
_file_option = click.option(
    "--config-file", type=click.Path(path_type=Path), default=None, help="environment file [default: Pulumi.<env>.yaml]"
)
_mismatch_option = click.option(
    "--allow-env-mismatch", is_flag=True, help="accept an --env that differs from the file's Pulumi.<env>.yaml name"
)


@project.command("add")
@click.argument("name")
@click.option("--env-name", "environments", multiple=True, help="environment of the project (repeat; default staging, production)")
@click.option("--team-group", default=None, help="AD group of the team (default: the project name)")
@click.option("--source-repo", "source_repos", multiple=True, help="Git repository (pattern) Argo CD may deploy from (repeat)")
@click.option("--preview-repo", default=None, help="Bitbucket Server clone URL previews are built from")
@click.option("--no-preview", is_flag=True, help="no pull-request previews for this project")
@_env_option
@_file_option
@_mismatch_option
def add(name, environments, team_group, source_repos, preview_repo, no_preview, env_name, config_file, allow_env_mismatch) -> None:
    """Add project NAME to `idp:projects`."""
    path = _config_file(env_name, config_file)

    def change(config: CommentedMap) -> str:
        projects = config.get(PROJECTS_KEY)
        if projects is None:
            projects = CommentedSeq()
            config[PROJECTS_KEY] = projects
        elif not isinstance(projects, list):
            raise ConfigError([f"{path}:1: {PROJECTS_KEY}: expected a list of projects"])
        projects.append(new_entry(name, environments, team_group, source_repos, preview_repo, no_preview))
        namespaces = ", ".join(f"{name}-{env}" for env in (environments or ("staging", "production")))
        return (
            f"{path}: added project {name} (namespaces {namespaces}); "
            f"create it with `pulumi up --stack {env_name}-projects --config-file {path.name}`"
        )

    _run(path, env_name, change, allow_env_mismatch)


@project.command("remove")
@click.argument("name")
@_env_option
@_file_option
@_mismatch_option
def remove(name, env_name, config_file, allow_env_mismatch) -> None:
    """Remove project NAME from `idp:projects`."""
    path = _config_file(env_name, config_file)

    def change(config: CommentedMap) -> str:
        projects = config.get(PROJECTS_KEY) or []
        index = next((i for i, p in enumerate(projects) if isinstance(p, dict) and p.get("name") == name), None)
        if index is None:
            known = ", ".join(str(p.get("name")) for p in projects if isinstance(p, dict)) or "none"
            raise ConfigError([f"{path}:1: {PROJECTS_KEY}: no project named {name} (projects: {known})"])
        del projects[index]
        return (
            f"{path}: removed project {name}; `pulumi up --stack {env_name}-projects --config-file {path.name}` "
            f"deletes its resources. Its Vault mount and Harbor project are protected when idp:global.protect "
            f"is on: unprotect them first (docs/runbooks/projects.md)"
        )

    _run(path, env_name, change, allow_env_mismatch)
