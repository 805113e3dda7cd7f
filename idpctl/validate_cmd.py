"""`idpctl validate`: check an environment file against the models every layer uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from idpctl.envfile import check_env_matches, validate_file
from stacks.config import LAYERS
from stacks.loading import ConfigError


@click.command()
@click.option("--config-file", type=click.Path(path_type=Path), required=True, help="Pulumi.<env>.yaml")
@click.option("--env", "env_name", required=True, help="environment name (the <env> of the stacks)")
@click.option("--allow-env-mismatch", is_flag=True, help="accept an --env that differs from the file's Pulumi.<env>.yaml name")
@click.option("--output", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="result format on stdout")
def validate(config_file: Path, env_name: str, allow_env_mismatch: bool, output_format: str) -> None:
    """Validate the environment file; exit 2 with one line per problem."""
    try:
        if not allow_env_mismatch:
            check_env_matches(config_file, env_name)
        env = validate_file(config_file, env_name)
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        if output_format == "json":
            click.echo(json.dumps({"file": str(config_file), "valid": False, "errors": exc.lines}, indent=2))
        sys.exit(2)
    missing = {layer: [f"idp:{key}" for key in env.missing_secrets(layer)] for layer in LAYERS}
    for layer, keys in missing.items():
        for key in keys:
            click.echo(
                f"note: {key} is not set; `pulumi up` of {env_name}-{layer} needs it "
                f"(pulumi config set --secret {key} ... --config-file {config_file.name})",
                err=True,
            )
    nodes = env.config.vms.cluster.nodes
    if output_format == "json":
        result = {
            "file": str(config_file),
            "valid": True,
            "environment": env_name,
            "nodes": len(nodes),
            "projects": [p.name for p in env.config.projects],
            "layers": list(LAYERS),
            "unsetSecrets": {layer: keys for layer, keys in missing.items() if keys},
        }
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(
        f"{config_file}: valid ({len(nodes)} nodes, {len(env.config.projects)} projects, layers {', '.join(LAYERS)})"
    )
