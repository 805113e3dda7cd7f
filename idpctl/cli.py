"""The `idpctl` command group. Each sub-command lives in its own module and is attached here."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Validate, render and operate the idp platform from its environment files."""


def _attach() -> None:
    """Attach the sub-commands; each module owns one command or group."""
    from idpctl import validate_cmd, render_cmd

    cli.add_command(validate_cmd.validate)
    cli.add_command(render_cmd.render)
    for module_name, attr in (("idpctl.app_cmd", "app"), ("idpctl.project_cmd", "project"), ("idpctl.ca_cmd", "ca"),
                             ("idpctl.mirror_cmd", "mirror")):
        try:
            module = __import__(module_name, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        cli.add_command(getattr(module, attr))


def main() -> None:
    _attach()
    cli(prog_name="idpctl")
