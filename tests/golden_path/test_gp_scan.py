"""`trivy config` (the real scanner) on the manifests the chart renders: 0 HIGH/CRITICAL findings
for every CI values file and every example environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.golden_path import render

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHART = REPO / "charts" / "platform-app"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
EXAMPLES = sorted(p for p in (REPO / "examples").glob("*/*.yaml") if p.name in ("platform.yaml", "score.yaml", "values.yaml"))


def _scan(trivy: str, objects: list[dict], directory: Path, gp) -> list[str]:
    """HIGH/CRITICAL failures as `ID kind/name: title` lines."""
    manifests = directory / "manifests"
    manifests.mkdir()
    for index, obj in enumerate(objects):
        (manifests / f"{index:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml").write_text(yaml.safe_dump(obj))
    result = gp.run([trivy, "config", "--quiet", "--format", "json", "--severity", "HIGH,CRITICAL",
                     "--cache-dir", "/tmp/idp-trivy-cache", "--skip-check-update", str(manifests)])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout or "{}")
    findings = []
    for item in report.get("Results") or []:
        for miss in item.get("Misconfigurations") or []:
            if miss.get("Status") == "FAIL" and miss.get("Severity") in ("HIGH", "CRITICAL"):
                findings.append(f"{miss.get('ID')} {item.get('Target')}: {miss.get('Title')}")
    return findings


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.stem)
def test_ci_renders_have_no_high_or_critical_findings(values: Path, trivy: str, helm_template, tmp_path: Path, gp) -> None:
    findings = _scan(trivy, helm_template(values), tmp_path, gp)
    assert findings == [], "\n".join(findings)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_renders_have_no_high_or_critical_findings(example: Path, trivy: str, helm_template,
                                                          tmp_path: Path, gp) -> None:
    rendered = render.render(example, "production", image_tag="0a1b2c3d", registry="harbor.lab.idp.internal",
                             chart_repo="harbor.lab.idp.internal/platform", domain="lab.idp.internal")
    values_file = render.write(rendered, tmp_path / "render", example.name)[0]
    objects = helm_template(values_file, release=rendered.values["app"]["name"])
    findings = _scan(trivy, objects, tmp_path, gp)
    assert findings == [], "\n".join(findings)
