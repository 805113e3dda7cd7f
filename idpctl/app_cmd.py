"""`idpctl app`: the golden path on the command line (schema, validate, render, promote).

Run by application pipelines and by developers before they push. Problems in a team's file are
printed one per line as `file:line: field: message` with exit code 2, never as a traceback.

Where files go: `--gitops-root DIR` (the GitOps checkout) puts them at the one layout the project's
ApplicationSet reads, `DIR/apps/<project>/<app>/<env>/` (components/golden_path/layout.py);
`idpctl app path` prints that folder for scripts. `--out`/`--root` name a directory explicitly.

Registry inputs: `--registry` (or `$IDP_REGISTRY`) defaults to `harbor.<domain>`, the domain
coming from `--domain` (or `$IDP_DOMAIN`, default the lab's `lab.idp.internal`); the chart is
pulled from `<registry>/platform` unless `--chart-repo` (or `$IDP_CHART_REPO`) says otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from components.golden_path import layout
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
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Directory for values.yaml and application.yaml.")
@click.option("--gitops-root", type=click.Path(path_type=Path), default=None,
              help="GitOps checkout: write to its apps/<project>/<app>/<env>/ instead of --out.")
@_registry_options
def render(file: Path, env: str, image_tag: str, pr: int | None, out: Path | None, gitops_root: Path | None,
           domain: str, registry: str | None, chart_repo: str | None) -> None:
    """Render FILE to values.yaml and application.yaml for one environment."""
    if (out is None) == (gitops_root is None):
        click.echo("error: give exactly one of --out DIR or --gitops-root DIR", err=True)
        raise SystemExit(2)
    registry, chart_repo = _registries(domain, registry, chart_repo)
    try:
        result = rendering.render(file, cast(Env, env), image_tag=image_tag, registry=registry, chart_repo=chart_repo,
                                  domain=domain, pr=pr)
        if gitops_root is not None:
            app = result.values["app"]
            out = gitops_root / layout.app_dir(app["project"], app["name"], env, pr)
        assert out is not None
        written = rendering.write(result, out, file.name)
    except SpecError as exc:
        _fail(exc)
    for path in written:
        click.echo(f"wrote {path}")


@app.command()
@click.argument("file", type=click.Path(path_type=Path), default="platform.yaml")
@click.option("--from", "from_env", type=click.Choice(["staging"]), default="staging", show_default=True)
@click.option("--to", "to_env", type=click.Choice(["production"]), default="production", show_default=True)
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Directory holding one rendered directory per environment (ROOT/staging, ROOT/production).")
@click.option("--gitops-root", type=click.Path(path_type=Path), default=None,
              help="GitOps checkout: ROOT is its apps/<project>/<app>/.")
@_registry_options
def promote(file: Path, from_env: str, to_env: str, root: Path | None, gitops_root: Path | None, domain: str,
            registry: str | None, chart_repo: str | None) -> None:
    """Render FILE for --to with the image tag that --from runs (ROOT/<from>/values.yaml)."""
    if (root is None) == (gitops_root is None):
        click.echo("error: give exactly one of --root DIR or --gitops-root DIR", err=True)
        raise SystemExit(2)
    registry, chart_repo = _registries(domain, registry, chart_repo)
    try:
        if gitops_root is not None:
            project, name = _identity(file)
            root = gitops_root / layout.app_root(project, name)
        assert root is not None
        tag = rendering.deployed_tag(root / from_env)
        result = rendering.render(file, cast(Env, to_env), image_tag=tag, registry=registry, chart_repo=chart_repo, domain=domain)
        written = rendering.write(result, root / to_env, file.name)
    except SpecError as exc:
        _fail(exc)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"promoted image tag {tag} from {from_env} to {to_env}")


def _identity(file: Path) -> tuple[str, str]:
    """(project, app name) of an application file, through the same parser the render uses."""
    _, source, spec = rendering.load_spec(file)
    if spec is not None:
        return spec.project, spec.name
    app = source.data["app"]
    return app["project"], app["name"]


@app.command()
@click.argument("file", type=click.Path(path_type=Path), default="platform.yaml")
@click.option("--env", "env", type=click.Choice(ENVIRONMENTS), default=None,
              help="Print the environment's folder; without it the app's folder.")
@click.option("--pr", type=int, default=None, help="Pull request number (with --env preview).")
def path(file: Path, env: str | None, pr: int | None) -> None:
    """Print where FILE's rendered folder lives in the GitOps repository (apps/<project>/<app>[/<env>])."""
    try:
        project, name = _identity(file)
    except SpecError as exc:
        _fail(exc)
    if env == "preview" and (pr is None or pr < 1):
        click.echo("error: --pr N is required with --env preview", err=True)
        raise SystemExit(2)
    click.echo(layout.app_dir(project, name, env, pr) if env else layout.app_root(project, name))
