"""Fixtures of the real-engine suite (marker `engine`); the helpers are in pulumi_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane import ControlPlane, crd_documents, missing_binaries
from pulumi_cli import REPO, Engine, make_engine, require_binaries


ENGINE_FIXTURES = {"cli_built", "langhost_built", "engine", "vcsim", "deployed_vms", "kube_api", "kubernetes_plugin"}


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




@pytest.fixture(scope="session")
def kubernetes_plugin(langhost_built) -> None:
    require_binaries(("kubernetes", "pulumi-resource-kubernetes"))


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    """The upstream CRDs of the platform's services ($IDP_SCHEMA_DIR/crds or ../shared/schemas/crds)."""
    from idpctl.schemas import SchemasMissing, schema_dir

    try:
        return schema_dir() / "crds"
    except SchemasMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def kube_api(tmp_path_factory, crd_dir) -> ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 with the upstream CRDs installed.

    One per test session; stopped (and its data thrown away) when the session ends.
    """
    missing = missing_binaries()
    if missing:
        pytest.skip("local control plane: not built by scripts/toolchain.sh: " + "; ".join(missing))
    plane = ControlPlane(tmp_path_factory.mktemp("control-plane"))
    try:
        plane.start()
        plane.install_crds(crd_documents(crd_dir))
    except BaseException:
        plane.stop()
        raise
    yield plane
    plane.stop()
