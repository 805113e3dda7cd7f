"""`idpctl --version`: the installed package's version, or pyproject.toml's in a checkout."""

from __future__ import annotations

import re
from pathlib import Path

import click

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("idp")
    except metadata.PackageNotFoundError:  # run from a checkout with `python -m idpctl`
        match = re.search(r'(?m)^version = "([^"]+)"', PYPROJECT.read_text()) if PYPROJECT.is_file() else None
        return match.group(1) if match else "unknown"


def _show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"idpctl {version()}")
        ctx.exit()


version_option = click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_show, help="Show the version and exit."
)
"""Computed only when asked, so starting the tool reads no package metadata."""
