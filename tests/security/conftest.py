"""Fixtures of the security-plane tests: the real Kyverno CLI and the upstream schemas.

The binary is built from the Go module proxy by `scripts/toolchain.sh` into `.tools/bin`; it is
looked up in `$IDP_TOOLS_DIR/bin`, then `<repo>/.tools/bin`, then `PATH`.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MISSING_REASON = "kyverno CLI not built (scripts/toolchain.sh)"


def kyverno_binary() -> str | None:
    candidates = []
    if os.environ.get("IDP_TOOLS_DIR"):
        candidates.append(Path(os.environ["IDP_TOOLS_DIR"]) / "bin" / "kyverno")
    candidates.append(REPO_ROOT / ".tools" / "bin" / "kyverno")
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which("kyverno")


def run_suite(binary: str, directory: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """`kyverno test <directory>` with results per rule; never touches a cluster."""
    env = {
        **os.environ,
        # No cloud credential helpers, no docker config: registry look-ups stay anonymous.
        "DOCKER_CONFIG": str(directory / ".docker"),
        "HOME": str(directory),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [binary, "test", str(directory), "--detailed-results", "--remove-color"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="session")
def kyverno_bin() -> str:
    binary = kyverno_binary()
    if binary is None:
        pytest.skip(MISSING_REASON)
    return binary


@pytest.fixture(scope="session")
def kyverno_suite(kyverno_bin):
    """Run `kyverno test` on a directory: returns the CompletedProcess."""
    return lambda directory, timeout=300: run_suite(kyverno_bin, Path(directory), timeout)
