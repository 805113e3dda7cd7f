"""The CrossGuard policy pack under the real engine: it loads through the language host.

`pulumi preview --policy-pack policies/crossguard` starts the pack as an analyzer plugin through
the Python language host (there is no `pulumi-analyzer-policy-python` binary). Without provider
plugins no resource of the program can be registered, so this proves that the pack starts and
is consulted with pulumi-policy and the CLI at their pinned versions; the rules themselves are
tested in tests/policies against resources rendered under mocks.
"""

from __future__ import annotations

import shutil

import pytest

from pulumi_cli import REPO, init_stacks

pytestmark = pytest.mark.usefixtures("langhost_built")

PROGRAM = '''import pulumi

pulumi.export("layer", pulumi.get_stack())
'''


def test_policy_pack_runs_in_preview(engine):
    shutil.copytree(REPO / "policies" / "crossguard", engine.workdir / "policies" / "crossguard",
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    (engine.workdir / "__main__.py").write_text(PROGRAM)
    init_stacks(engine, layers=("vms",))
    pack = engine.workdir / "policies" / "crossguard"
    result = engine.with_stack("vms", "preview", "--policy-pack", str(pack), check=False, timeout=900)
    assert result.returncode == 0, result.output[-4000:]
    assert "idp-platform" in result.output, result.output[-4000:]
