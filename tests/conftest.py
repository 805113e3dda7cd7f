"""Shared test fixtures: the lab environment file, offline renders, and the upstream schemas.

Renders run the real layer programs on the real Pulumi SDK runtime with fake providers
(`idpctl.runtime`); every test gets fresh runtime settings.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from idpctl.runtime import LayerResult, run_layers
from idpctl.schemas import SchemaRegistry, SchemasMissing

REPO = Path(__file__).resolve().parent.parent
LAB_FILE = REPO / "Pulumi.lab.yaml"


def load_lab_config() -> dict[str, Any]:
    return yaml.safe_load(LAB_FILE.read_text())["config"]


@pytest.fixture
def lab_config() -> dict[str, Any]:
    """The lab environment's `config:` block (a fresh copy each test may edit)."""
    return copy.deepcopy(load_lab_config())


RenderFn = Callable[..., dict[str, LayerResult]]


@pytest.fixture
def render() -> RenderFn:
    """render(config, *layers, env="lab") -> {layer: LayerResult}; upstream layers run first."""

    def _render(config: dict[str, Any], *layers: str, env: str = "lab") -> dict[str, LayerResult]:
        results, _missing = run_layers(list(layers), env, config)
        return results

    return _render


@pytest.fixture(scope="session")
def schemas() -> SchemaRegistry:
    """The upstream CRD and Talos schemas; tests skip with the reason when they are absent."""
    try:
        return SchemaRegistry.load()
    except SchemasMissing as exc:
        pytest.skip(str(exc))


def by_type(result: LayerResult, type_token: str) -> list:
    return [r for r in result.resources if r.type == type_token]
