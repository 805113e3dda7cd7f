"""`idpctl validate`: check an environment file against the models every layer uses."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from idpctl.envfile import validate_file
from stacks.config import ConfigError, LAYERS


@click.command()
@click.option("--config-file", type=click.Path(path_type=Path), required=True, help="Pulumi.<env>.yaml")
@click.option("--env", "env_name", required=True, help="environment name (the <env> of the stacks)")
def validate(config_file: Path, env_name: str) -> None:
    """Validate the environment file; exit 2 with one line per problem."""
    try:
        env = validate_file(config_file, env_name)
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        sys.exit(2)
    for layer in LAYERS:
        for key in env.missing_secrets(layer):
            click.echo(
                f"note: idp:{key} is not set; `pulumi up` of {env_name}-{layer} needs it "
                f"(pulumi config set --secret idp:{key} ... --config-file {config_file.name})",
                err=True,
            )
    nodes = env.config.vms.cluster.nodes
    click.echo(
        f"{config_file}: valid ({len(nodes)} nodes, {len(env.config.projects)} projects, layers {', '.join(LAYERS)})"
    )
