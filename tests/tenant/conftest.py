"""Fixtures of the tenant-project tests: renders of the projects layer under the mock runtime.

The projects layer reads two stacks. The cluster stack is the real layer program (run after the
vms layer, as the runners apply them). The platform stack is represented by its exports, exactly
the typed contract `stacks.references.PlatformOutputs` the projects layer reads: the platform
layer is developed in parallel and does not deploy Harbor yet, so these tests pin the contract
instead of whatever the platform program exports today. `test_stack.py` also runs the real
platform layer and checks the projects layer against it (render, or a fail-fast message naming
the missing outputs).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from idpctl.runtime import LayerResult, config_for_run, run_layer, run_layers
from stacks.sdk import secret_envelope


def platform_exports(domain: str = "lab.idp.internal") -> dict[str, Any]:
    """The platform stack's outputs as the projects layer reads them (secrets in their envelope)."""
    return {
        "domain": domain,
        "urls": {"argocd": f"https://argocd.{domain}", "harbor": f"https://harbor.{domain}", "vault": f"https://vault.{domain}"},
        "vaultAddress": secret_envelope(f"https://vault.{domain}"),
        "vaultToken": secret_envelope("test-projects-token"),
        "harborUrl": f"https://harbor.{domain}",
        "harborUsername": "admin",
        "harborPassword": secret_envelope("test-harbor-password"),
    }


def upstream_results(config: dict[str, Any], env: str = "lab", platform: dict[str, Any] | None = None) -> dict[str, LayerResult]:
    """The real cluster layer plus the platform stack's exports."""
    upstream, _ = run_layers(["cluster"], env, config)
    domain = config["idp:global"]["domain"]
    upstream["platform"] = LayerResult("platform", f"{env}-platform", [], platform or platform_exports(domain), [])
    return upstream


def render_projects(
    config: dict[str, Any], env: str = "lab", upstream: dict[str, LayerResult] | None = None
) -> LayerResult:
    """Run the projects layer (after its upstream layers) and return what it registered."""
    upstream = upstream if upstream is not None else upstream_results(config, env)
    values, secret_keys, _ = config_for_run(config)
    return run_layer("projects", env, values, secret_keys, upstream=upstream)


@pytest.fixture
def projects() -> Callable[..., LayerResult]:
    return render_projects
