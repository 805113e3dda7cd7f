"""The platform's own admission policies accept what the chart renders: the security plane's
Kyverno policies (policies/kyverno/disallow-root, require-standard-labels) run by the real
kyverno CLI over every Deployment of the CI values matrix and of the examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.golden_path import render

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHART = REPO / "charts" / "platform-app"
POLICIES = [REPO / "policies" / "kyverno" / name / "policy.yaml" for name in ("disallow-root", "require-standard-labels")]
RULES = [("disallow-root", "autogen-run-as-non-root"), ("disallow-root", "autogen-disallow-run-as-user-zero"),
         ("require-standard-labels", "check-standard-labels")]
EXAMPLES = sorted(p for p in (REPO / "examples").glob("*/*.yaml") if p.name in ("platform.yaml", "score.yaml", "values.yaml"))


def test_rendered_deployments_pass_the_platform_policies(kyverno: str, helm_template, tmp_path: Path, gp) -> None:
    if not all(p.is_file() for p in POLICIES):
        pytest.skip("the security plane's Kyverno policies are not in this tree yet")
    renders: dict[str, list[dict]] = {}
    for values in sorted((CHART / "ci").glob("*-values.yaml")):
        renders[f"ci-{values.stem.removesuffix('-values')}"] = helm_template(values)
    for example in EXAMPLES:
        for env, pr in (("production", None), ("preview", 5)):
            rendered = render.render(example, env, image_tag="0a1b2c3d", registry="harbor.lab.idp.internal",
                                     chart_repo="harbor.lab.idp.internal/platform", domain="lab.idp.internal", pr=pr)
            values_file = render.write(rendered, tmp_path / example.parent.name / env, example.name)[0]
            renders[f"ex-{example.parent.name}-{env}"] = helm_template(values_file, release=rendered.values["app"]["name"])
    deployments = []
    for namespace, objects in renders.items():
        for obj in objects:
            if obj["kind"] == "Deployment":
                obj["metadata"]["namespace"] = namespace
                deployments.append(obj)
    assert len(deployments) >= 6
    (tmp_path / "resources.yaml").write_text(yaml.safe_dump_all(deployments))
    resources = [f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in deployments]
    suite = {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "platform-app-renders"},
        "policies": [str(p) for p in POLICIES],
        "resources": ["resources.yaml"],
        "values": {"namespaceSelector": [
            {"name": ns, "labels": {"managed-by": "idp-platform", "idp.platform/project": "webshop"}} for ns in renders
        ]},
        "results": [
            {"policy": policy, "rule": rule, "kind": "Deployment", "resources": resources, "result": "pass"}
            for policy, rule in RULES
        ],
    }
    (tmp_path / "kyverno-test.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    result = gp.run([kyverno, "test", str(tmp_path)])
    assert result.returncode == 0, result.stdout + result.stderr
