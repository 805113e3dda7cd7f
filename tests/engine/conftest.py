"""Fixtures of the real-engine suite (marker `engine`); the helpers are in pulumi_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_cli import REPO, Engine, make_engine, require_binaries


ENGINE_FIXTURES = {"cli_built", "langhost_built", "engine", "vcsim", "deployed_vms"}


def pytest_collection_modifyitems(items):
    """Tests here that run a real engine (any of ENGINE_FIXTURES) carry the `engine` marker."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def cli_built() -> None:
    require_binaries(("pulumi", "pulumi"))


@pytest.fixture(scope="session")
def langhost_built(cli_built) -> None:
    require_binaries(("language-python", "pulumi-language-python"),
                     ("language-python", "pulumi-language-python-exec"))
    if not (REPO / ".venv" / "bin" / "python").exists():
        pytest.skip("the project's virtualenv .venv is missing (make venv creates it)")


@pytest.fixture
def engine(cli_built, tmp_path: Path) -> Engine:
    """A fresh backend and program copy per test."""
    return make_engine(tmp_path)


