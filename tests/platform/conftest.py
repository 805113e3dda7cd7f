"""Fixtures of the platform-services tests (issue 4); the helpers live in `helpers.py`."""

from __future__ import annotations

import pytest

from idpctl.runtime import LayerResult
from tests.platform.helpers import lab_config, render_platform


@pytest.fixture(scope="module")
def lab() -> LayerResult:
    """The lab platform layer as `Pulumi.lab.yaml` declares it (rendered once per module)."""
    return render_platform(lab_config())
