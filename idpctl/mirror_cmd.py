"""`idpctl mirror list`: the Harbor references of the mirrored images (platform/images.yaml).

The platform pipeline signs these after each replication (pipelines/platform/scripts/sign-mirrored.sh);
the references follow the replication rules of components/platform/harbor.py.
"""

from __future__ import annotations

import click

from components.platform.harbor import harbor_reference, mirrored_images


@click.group()
def mirror() -> None:
    """Images Harbor mirrors from upstream registries."""


@mirror.command("list")
@click.option("--registry", envvar="IDP_REGISTRY", required=True, help="Harbor host, e.g. harbor.lab.idp.internal.")
def list_(registry: str) -> None:
    """Print each mirrored image as Harbor serves it, one per line."""
    for image in mirrored_images():
        click.echo(harbor_reference(image, registry))
