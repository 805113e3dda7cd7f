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


@pytest.mark.parametrize("disabled", [("harbor",), ("vault",), ("vault", "harbor")])
def test_projects_follow_the_platform_switches(lab_config, disabled):
    """A platform without Vault (or Harbor) is valid: its projects get no Vault (Harbor) parts, and
    the platform outputs of the disabled service are not asked for."""
    import copy

    config = copy.deepcopy(lab_config)
    # Vault's configuration and what reads secrets from it go with Vault (config validation says so).
    # What lives in Harbor (the platform artifacts, the portal image) goes with Harbor.
    switched = {"vault": ("vault", "vaultConfig", "externalSecrets", "cosign", "renovate"), "harbor": ("harbor", "artifacts", "portal")}
    for service in disabled:
        for key in switched[service]:
            config["idp:platform"].setdefault(key, {})["enabled"] = False
    if "vault" in disabled:  # without cosign's key in Vault, no signature verification
        from components.platform.kyverno_policies import POLICY_NAMES, load_policy, needs_cosign_key

        config["idp:platform"]["kyverno"]["policies"] = [p for p in POLICY_NAMES if not needs_cosign_key(load_policy(p))]
    dropped = {"vault": ("vaultAddress", "vaultToken"), "harbor": ("harborUrl", "harborUsername", "harborPassword")}
    exports = {k: v for k, v in platform_exports().items() if not any(k in dropped[s] for s in disabled)}
    result = render_projects(config, upstream=upstream_results(config, platform=exports))

    types = {r.type for r in result.resources}
    assert any(t.startswith("harbor:") for t in types) == ("harbor" not in disabled)
    assert any(t.startswith("vault:") for t in types) == ("vault" not in disabled)
    kinds = {(r.type, r.name) for r in result.resources}
    assert ("kubernetes:core/v1:Namespace", "payments-staging-namespace") in kinds
    assert ("kubernetes:argoproj.io/v1alpha1:AppProject", "payments-argocd-app-project") in kinds
    synced = [r.name for r in result.resources if r.type.startswith("kubernetes:external-secrets.io")]
    if "vault" in disabled:
        assert synced == []  # nothing to sync from
    else:
        assert any(n.endswith("-env-secret") for n in synced)
        assert any(n.endswith("-pull-secret") for n in synced) == ("harbor" not in disabled)
    project = unwrap(result.exports)["projects"]["payments"]
    assert (project.get("harborProject") is None) == ("harbor" in disabled)
    assert (project.get("vaultPath") is None) == ("vault" in disabled)
    assert ("vault" in project["urls"]) == ("vault" not in disabled)
