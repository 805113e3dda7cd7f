"""The `idpctl` command group. Each sub-command lives in its own module and is attached here.

Sub-commands are imported on first use: `idpctl app validate` in an application team's editor or
pre-commit hook must not pay for the Pulumi provider SDKs that only `render` needs.
"""

from __future__ import annotations

import importlib

import click

from idpctl.version import version_option

COMMANDS = {
    "validate": "idpctl.validate_cmd:validate",
    "render": "idpctl.render_cmd:render",
    "app": "idpctl.app_cmd:app",
    "project": "idpctl.project_cmd:project",
    "ca": "idpctl.ca_cmd:ca",
    "docs": "idpctl.docs_cmd:docs",
    "mirror": "idpctl.mirror_cmd:mirror",
}
"""Command name -> `module:attribute` of the click command or group."""


class LazyGroup(click.Group):
    """A click group that imports a sub-command's module when the command is looked up."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            command = _load(self.lazy_commands[cmd_name])
            if command is not None:
                self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


def _load(target: str) -> click.Command | None:
    """The command at `module:attribute`; None if that module is not part of this installation."""
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, attr)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@version_option
def cli() -> None:
    """Validate, render and operate the idp platform from its environment files."""


def main() -> None:
    cli(prog_name="idpctl")
