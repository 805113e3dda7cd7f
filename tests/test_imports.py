"""Imports run one way: stacks compose components, components never import from `stacks/`."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_no_component_imports_from_stacks():
    files = sorted((REPO / "components").rglob("*.py"))
    assert len(files) > 20, "the scan found the components"
    upward = {
        f"{path.relative_to(REPO)}: {module}"
        for path in files
        for module in _imported_modules(path)
        if module == "stacks" or module.startswith("stacks.")
    }
    assert not upward, f"components importing from stacks/: {sorted(upward)}"


def test_the_scan_sees_imports_from_stacks():
    # A stack's own imports from stacks/ are what the rule would catch in a component.
    assert {"stacks", "stacks.program"} <= _imported_modules(REPO / "stacks" / "cluster.py")
