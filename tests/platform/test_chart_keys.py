"""Every values key the platform sets exists in its chart, at the chart version it pins.

The keys were looked up in each chart's values.yaml at the pinned tag and recorded in
`components/platform/chart_keys.py` with that version: a key set that was never checked, or a
chart moved to a version whose keys were not checked again, fails here.
"""

from __future__ import annotations

from typing import Any

from components.platform.chart_keys import CHECKED
from idpctl.runtime import unwrap

FREE_FORM = {"resources", "securityContext", "podSecurityContext", "containerSecurityContext", "nodeSelector",
             "tolerations", "annotations", "labels", "podAnnotations", "podLabels", "extraArgs", "env", "extraEnv"}


def _paths(values: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in FREE_FORM:
            out |= _paths(value, path + ".")
        else:
            out.add(path)
    return out


def _charts(result) -> dict[str, tuple[str, dict]]:
    """chart name -> (version, values) for Helm releases and Argo CD Applications of the render."""
    charts: dict[str, tuple[str, dict]] = {}
    for reg in result.resources:
        inputs = unwrap(reg.inputs)
        if reg.type == "kubernetes:helm.sh/v3:Release":
            charts[inputs["chart"]] = (str(inputs["version"]), inputs.get("values") or {})
        elif reg.type == "kubernetes:argoproj.io/v1alpha1:Application":
            source = (inputs.get("spec") or {}).get("source") or {}
            if source.get("chart"):
                charts[source["chart"]] = (str(source["targetRevision"]), (source.get("helm") or {}).get("valuesObject") or {})
    return charts


def test_every_key_set_was_checked_against_the_charts_values_at_its_version(lab):
    charts = _charts(lab)
    assert len(charts) >= 12
    for chart, (version, values) in sorted(charts.items()):
        assert chart in CHECKED, f"{chart}: its values keys were never checked against its values.yaml"
        checked = CHECKED[chart]
        assert version.lstrip("v") == checked.version.lstrip("v"), (
            f"{chart} is pinned at {version} but its keys were checked at {checked.version}: "
            f"check them against {checked.source.split('@')[0]} at the new tag and update chart_keys.py"
        )
        unchecked = sorted(p for p in _paths(values) if not any(p == k or p.startswith(k + ".") for k in checked.keys))
        assert not unchecked, f"{chart}: keys not checked against its values.yaml: {unchecked}"
