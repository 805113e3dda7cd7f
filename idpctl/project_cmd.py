"""`idpctl project add|remove`: edit the tenant projects of an environment file in place.

A project is one entry under `idp:projects` in `Pulumi.<env>.yaml`; `pulumi up` of `<env>-projects`
then creates or removes everything it has. These commands change only that list: the file is read
and written with ruamel.yaml's round-trip mode, so comments, key order, quoting and flow style stay
as they were. The edited file is validated with the same models every layer uses
(`stacks.config.load_environment`) before it is written; on a problem the command prints one
`config error: ...` line per problem, exits 2 and leaves the file untouched.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from idpctl.envfile import secure_keys
from stacks.config import ConfigError, load_environment

PROJECTS_KEY = "idp:projects"


def _yaml() -> YAML:
    """Round-trip YAML with the layout of our environment files (2-space maps, `  - ` items)."""
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 4096
    return rt


def _load(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"config error: {path}: cannot read ({exc.strerror})"]) from None
    try:
        document = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError([f"config error: {path}: not valid YAML ({exc})"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise ConfigError([f"config error: {path}: expected a mapping with a `config:` block"])
    return document


def _dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _validate(text: str, env_name: str) -> None:
    """Validate the would-be file exactly as `idpctl validate` and the layers do."""
    config = (yaml.safe_load(text) or {}).get("config") or {}
    load_environment(env_name, config, secure_keys(config))


def _write(path: Path, text: str) -> None:
    """Replace the file atomically, so an interrupted write never leaves half a config."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
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


def _apply(path: Path, env_name: str, change) -> str:
    """Load, change, validate, write; a ConfigError leaves the file as it was."""
    document = _load(path)
    message = change(document["config"])
    text = _dump(document)
    _validate(text, env_name)
    _write(path, text)
    return message


def _run(path: Path, env_name: str, change) -> None:
    try:
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


@project.command("add")
@click.argument("name")
@click.option("--env-name", "environments", multiple=True, help="environment of the project (repeat; default staging, production)")
@click.option("--team-group", default=None, help="AD group of the team (default: the project name)")
@click.option("--source-repo", "source_repos", multiple=True, help="Git repository (pattern) Argo CD may deploy from (repeat)")
@click.option("--preview-repo", default=None, help="Bitbucket Server clone URL previews are built from")
@click.option("--no-preview", is_flag=True, help="no pull-request previews for this project")
@_env_option
@_file_option
def add(name, environments, team_group, source_repos, preview_repo, no_preview, env_name, config_file) -> None:
    """Add project NAME to `idp:projects`."""
    path = _config_file(env_name, config_file)

    def change(config: CommentedMap) -> str:
        projects = config.get(PROJECTS_KEY)
        if projects is None:
            projects = CommentedSeq()
            config[PROJECTS_KEY] = projects
        elif not isinstance(projects, list):
            raise ConfigError([f"config error: {PROJECTS_KEY}: expected a list of projects"])
        projects.append(new_entry(name, environments, team_group, source_repos, preview_repo, no_preview))
        namespaces = ", ".join(f"{name}-{env}" for env in (environments or ("staging", "production")))
        return (
            f"{path}: added project {name} (namespaces {namespaces}); "
            f"create it with `pulumi up --stack {env_name}-projects --config-file {path.name}`"
        )

    _run(path, env_name, change)


@project.command("remove")
@click.argument("name")
@_env_option
@_file_option
def remove(name, env_name, config_file) -> None:
    """Remove project NAME from `idp:projects`."""
    path = _config_file(env_name, config_file)

    def change(config: CommentedMap) -> str:
        projects = config.get(PROJECTS_KEY) or []
        index = next((i for i, p in enumerate(projects) if isinstance(p, dict) and p.get("name") == name), None)
        if index is None:
            known = ", ".join(str(p.get("name")) for p in projects if isinstance(p, dict)) or "none"
            raise ConfigError([f"config error: {PROJECTS_KEY}: no project named {name} (projects: {known})"])
        del projects[index]
        return (
            f"{path}: removed project {name}; `pulumi up --stack {env_name}-projects --config-file {path.name}` "
            f"deletes its resources. Its Vault mount and Harbor project are protected when idp:global.protect "
            f"is on: unprotect them first (docs/runbooks/projects.md)"
        )

    _run(path, env_name, change)
