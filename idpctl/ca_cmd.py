"""`idpctl ca`: write the platform's root CA certificate to a file that workstations and pipelines trust.

Every platform URL is served with a certificate from the `platform-ca` issuer, whose root the
platform stack exports as `rootCaCertificate`. A client that does not trust it fails with
"x509: certificate signed by unknown authority" (the seed's lesson: docker pushes, helm pulls,
pulumi's Harbor provider, curl in pipelines). This command reads the output with the pulumi CLI
(`pulumi stack output rootCaCertificate --stack <env>-platform --json`), checks it is one PEM
certificate, and writes it; the hint it prints says how to install it.

Exit 0 on success, 1 when the CLI or the output is missing, 2 when the output is not a certificate.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click

OUTPUT = "rootCaCertificate"
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----\s*")


class CaError(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def check_pem(text: str) -> str:
    """The text as one PEM certificate with a trailing newline; CaError(code 2) otherwise."""
    match = _PEM.fullmatch(text.strip() + "\n")
    if not match:
        raise CaError(f"{OUTPUT} is not a single PEM certificate (starts with {text.strip()[:30]!r})", code=2)
    try:
        base64.b64decode("".join(match.group(1).split()), validate=True)
    except binascii.Error:
        raise CaError(f"{OUTPUT}: the PEM body is not valid base64", code=2) from None
    return text.strip() + "\n"


def read_stack_output(stack: str, cwd: Path | None, pulumi: str = "pulumi") -> str:
    """`rootCaCertificate` of a stack, through the pulumi CLI."""
    binary = shutil.which(pulumi)
    if binary is None:
        raise CaError("the pulumi CLI is not on PATH (install it, or run this where the platform stack is deployed)")
    run = subprocess.run(
        [binary, "stack", "output", OUTPUT, "--stack", stack, "--json"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    if run.returncode != 0:
        detail = (run.stderr or run.stdout).strip().splitlines()
        raise CaError(
            f"cannot read {OUTPUT} of stack {stack}: {detail[-1] if detail else 'pulumi failed'}; "
            f"deploy it with `pulumi up --stack {stack}` (cert-manager enabled)"
        )
    try:
        value = json.loads(run.stdout)
    except json.JSONDecodeError:
        value = run.stdout
    if not isinstance(value, str) or not value.strip():
        raise CaError(f"stack {stack} has no {OUTPUT} output; enable platform.certManager and run `pulumi up --stack {stack}`")
    return value


@click.command()
@click.option("--env", "env_name", required=True, help="environment name (reads stack <env>-platform)")
@click.option("--stack", default=None, help="platform stack name, default <env>-platform")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="file to write, default <env>-root-ca.pem")
@click.option("--cwd", type=click.Path(path_type=Path, file_okay=False), default=None, help="Pulumi project directory")
def ca(env_name: str, stack: str | None, out: Path | None, cwd: Path | None) -> None:
    """Write the platform root CA (PEM) for workstations and pipelines to trust."""
    stack = stack or f"{env_name}-platform"
    out = out or Path(f"{env_name}-root-ca.pem")
    try:
        pem = check_pem(read_stack_output(stack, cwd))
    except CaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(pem)
    out.chmod(0o644)
    click.echo(f"wrote the root CA of {stack} to {out}")
    click.echo("trust it with one of:")
    click.echo(f"  sudo cp {out} /usr/local/share/ca-certificates/idp-{env_name}.crt && sudo update-ca-certificates")
    click.echo(f"  export SSL_CERT_FILE={out.resolve()}   # Go tools (pulumi providers, helm), curl")
    click.echo(f"  export REQUESTS_CA_BUNDLE={out.resolve()} NODE_EXTRA_CA_CERTS={out.resolve()}")
    click.echo("  docker: copy it to /etc/docker/certs.d/<harbor host>/ca.crt")
