"""The projects stack against its upstream stacks: the real platform layer, and missing outputs."""

from __future__ import annotations

import pulumi
import pytest

from idpctl.runtime import unwrap
from tests.tenant.conftest import platform_exports, render_projects, upstream_results


def test_lab_projects_render_after_the_real_platform_layer(lab_config, render, schemas):
    """Every layer program in runner order, the projects layer reading the platform's real exports."""
    from idpctl.render_cmd import kubernetes_objects

    result = render(lab_config, "projects")["projects"]
    exports = unwrap(result.exports)["projects"]
    assert set(exports) == {"payments", "webshop"}
    assert exports["webshop"]["namespaces"] == ["webshop-staging", "webshop-production"]
    assert schemas.validate_all(kubernetes_objects(result)) == []


@pytest.mark.parametrize("missing", [("harborUrl",), ("vaultToken", "harborPassword")])
def test_missing_platform_outputs_fail_fast_naming_them(lab_config, missing):
    exports = {k: v for k, v in platform_exports().items() if k not in missing}
    upstream = upstream_results(lab_config, platform=exports)
    with pytest.raises(pulumi.RunError) as caught:
        render_projects(lab_config, upstream=upstream)
    message = str(caught.value)
    assert f"missing output(s) {', '.join(missing)}" in message
    assert "organization/idp/lab-platform" in message
    assert "pulumi up --stack lab-platform --config-file Pulumi.lab.yaml" in message


def test_missing_platform_outputs_register_nothing(lab_config, monkeypatch):
    from idpctl.runtime import RecordingMonitor

    exports = {k: v for k, v in platform_exports().items() if k != "harborUrl"}
    upstream = upstream_results(lab_config, platform=exports)
    registered: list[str] = []
    original = RecordingMonitor.RegisterResource

    def spy(self, request):
        registered.append(request.type)
        return original(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", spy)
    with pytest.raises(pulumi.RunError):
        render_projects(lab_config, upstream=upstream)
    assert set(registered) <= {"pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"}
