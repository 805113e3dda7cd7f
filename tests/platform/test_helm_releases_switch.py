"""`idp:cluster.helmReleases: false`: the platform declares every object except its Helm releases.

The ci environment's cluster is a local API server without nodes that cannot download charts; the
real-engine tests apply the platform layer there with this switch. Everything else the platform
declares must stay the same, so the switch cannot hide an object from those tests.
"""

from __future__ import annotations

from idpctl.runtime import run_layers

RELEASE = "kubernetes:helm.sh/v3:Release"


def platform(config: dict) -> list:
    results, _ = run_layers(["platform"], "lab", config)
    return results["platform"].resources


def test_switch_drops_exactly_the_helm_releases(lab_config):
    with_releases = platform(lab_config)
    lab_config.setdefault("idp:cluster", {})["helmReleases"] = False
    without = platform(lab_config)

    releases = {(r.type, r.name) for r in with_releases if r.type == RELEASE}
    assert releases, "the lab platform delivers some charts by Helm"
    assert not [r for r in without if r.type == RELEASE]
    # Every other object (Argo CD Applications included) is still declared.
    assert {(r.type, r.name) for r in with_releases} - releases == {(r.type, r.name) for r in without}
