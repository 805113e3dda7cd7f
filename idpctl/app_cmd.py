"""`idpctl app`: the golden path on the command line (schema, validate, render, promote).

Run by application pipelines and by developers before they push. Problems in a team's file are
printed one per line as `file:line: field: message` with exit code 2, never as a traceback.

Registry inputs: `--registry` (or `$IDP_REGISTRY`) defaults to `harbor.<domain>`, the domain
coming from `--domain` (or `$IDP_DOMAIN`, default the lab's `lab.idp.internal`); the chart is
pulled from `<registry>/platform` unless `--chart-repo` (or `$IDP_CHART_REPO`) says otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from components.golden_path import render as rendering
from components.golden_path.environments import ENVIRONMENTS, Env
from components.golden_path.source import SpecError
from components.golden_path.spec import json_schema

DEFAULT_DOMAIN = "lab.idp.internal"


def _fail(exc: SpecError) -> None:
    for line in exc.lines:
        click.echo(line, err=True)
    raise SystemExit(2)


def _registry_options(func):
    func = click.option("--chart-repo", envvar="IDP_CHART_REPO", default=None,
                        help="OCI repository of the platform-app chart (default <registry>/platform).")(func)
    func = click.option("--registry", envvar="IDP_REGISTRY", default=None,
                        help="Image registry host (default harbor.<domain>).")(func)
    func = click.option("--domain", envvar="IDP_DOMAIN", default=DEFAULT_DOMAIN, show_default=True,
                        help="Platform domain; the registry defaults to harbor.<domain>.")(func)
    return func


def _registries(domain: str, registry: str | None, chart_repo: str | None) -> tuple[str, str]:
    registry = registry or f"harbor.{domain}"
    return registry, chart_repo or f"{registry}/platform"


@click.group()
def app() -> None:
    """Golden path: validate and render platform.yaml, score.yaml or values.yaml."""


@app.command()
def schema() -> None:
    """Print the JSON Schema of platform.yaml (for editors' yaml-language-server)."""
    click.echo(json.dumps(json_schema(), indent=2))


@app.command()
@click.argument("file", type=click.Path(path_type=Path))
def validate(file: Path) -> None:
    """Check FILE (platform.yaml, score.yaml or values.yaml) without rendering it."""
    try:
        kind, _, _ = rendering.load_spec(file)
    except SpecError as exc:
        _fail(exc)
    click.echo(f"{file}: valid {kind} file")


@app.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--env", "env", type=click.Choice(ENVIRONMENTS), required=True)
@click.option("--image-tag", required=True, help="Immutable image tag, normally the commit SHA.")
@click.option("--pr", type=int, default=None, help="Pull request number (with --env preview).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Directory for values.yaml and application.yaml.")
@_registry_options
def render(file: Path, env: str, image_tag: str, pr: int | None, out: Path, domain: str,
           registry: str | None, chart_repo: str | None) -> None:
    """Render FILE to OUT/values.yaml and OUT/application.yaml for one environment."""
    registry, chart_repo = _registries(domain, registry, chart_repo)
    try:
        result = rendering.render(file, cast(Env, env), image_tag=image_tag, registry=registry, chart_repo=chart_repo,
                                  domain=domain, pr=pr)
        written = rendering.write(result, out, file.name)
    except SpecError as exc:
        _fail(exc)
    for path in written:
        click.echo(f"wrote {path}")


@app.command()
@click.argument("file", type=click.Path(path_type=Path), default="platform.yaml")
@click.option("--from", "from_env", type=click.Choice(["staging"]), default="staging", show_default=True)
@click.option("--to", "to_env", type=click.Choice(["production"]), default="production", show_default=True)
@click.option("--root", type=click.Path(path_type=Path), required=True,
              help="Directory holding one rendered directory per environment (ROOT/staging, ROOT/production).")
@_registry_options
def promote(file: Path, from_env: str, to_env: str, root: Path, domain: str, registry: str | None,
            chart_repo: str | None) -> None:
    """Render FILE for --to with the image tag that --from runs (ROOT/<from>/values.yaml)."""
    registry, chart_repo = _registries(domain, registry, chart_repo)
    try:
        tag = rendering.deployed_tag(root / from_env)
        result = rendering.render(file, cast(Env, to_env), image_tag=tag, registry=registry, chart_repo=chart_repo, domain=domain)
        written = rendering.write(result, root / to_env, file.name)
    except SpecError as exc:
        _fail(exc)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"promoted image tag {tag} from {from_env} to {to_env}")
