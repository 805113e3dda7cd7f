"""`idpctl docs`: generate the portal's environment pages from an environment file.

The pages (catalog of projects, platform services, platform.yaml reference, support) go to
`--out` (docs/environment/ for the portal, see `make portal`). Only click is imported here; the
models and page builders load when the command runs, so other commands do not pay for them.
Exit 0 on success, 2 on a configuration error or a file the command must not overwrite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option("--config-file", type=click.Path(path_type=Path), required=True, help="Pulumi.<env>.yaml")
@click.option("--env", "env_name", required=True, help="environment name (the <env> of the stacks)")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs/environment"),
    show_default=True,
    help="directory for the generated pages (the portal reads docs/environment)",
)
def docs(config_file: Path, env_name: str, out: Path) -> None:
    """Generate the portal pages of an environment (catalog, services, schema, support)."""
    from idpctl.envfile import validate_file
    from idpctl.portal import PortalError, write_pages
    from stacks.loading import ConfigError

    try:
        env = validate_file(config_file, env_name)
        written = write_pages(env, out)
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        sys.exit(2)
    except PortalError as exc:
        click.echo(f"docs error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{len(written)} pages of {env_name} written to {out}")
