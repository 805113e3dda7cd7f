"""Adding and removing a project, protection of stateful parts, and where secrets may (not) go."""

from __future__ import annotations

import copy
import json

import pytest

from idpctl.render_cmd import write_render
from idpctl.runtime import mask, unwrap
from tests.tenant.conftest import render_projects, upstream_results
from tests.tenant.test_project import expected_resources

STATEFUL = {"vault:index/mount:Mount", "harbor:index/project:Project"}


def _without(config, name):
    config = copy.deepcopy(config)
    config["idp:projects"] = [p for p in config["idp:projects"] if p["name"] != name]
    return config


def test_removing_a_project_from_config_removes_all_its_resources(lab_config):
    upstream = upstream_results(lab_config)
    before = render_projects(lab_config, upstream=upstream)
    after = render_projects(_without(lab_config, "webshop"), upstream=upstream)
    before_urns = {r.urn: r for r in before.resources}
    after_urns = {r.urn: r for r in after.resources}
    assert set(after_urns) <= set(before_urns)
    removed = set(before_urns) - set(after_urns)
    webshop = {urn for urn in before_urns if urn.endswith("::webshop") or "::webshop-" in urn}
    assert removed == webshop
    assert sorted((before_urns[u].type, before_urns[u].name) for u in removed) == expected_resources(
        "webshop", ["staging", "production"], ci=True
    )
    # In particular its ApplicationSets, its CI's Vault JWT role and policy.
    gone = {(before_urns[u].type, before_urns[u].name) for u in removed}
    assert {
        ("kubernetes:argoproj.io/v1alpha1:ApplicationSet", "webshop-delivery-environments"),
        ("vault:jwt/authBackendRole:AuthBackendRole", "webshop-ci-role"),
        ("vault:index/policy:Policy", "webshop-ci-policy"),
    } <= gone
    # nothing that stays refers to the removed project ...
    for reg in after.resources:
        assert "webshop" not in json.dumps(mask(reg.inputs)), reg.urn
    # ... and the project that stays is declared exactly as before.
    for urn, reg in after_urns.items():
        assert mask(reg.inputs) == mask(before_urns[urn].inputs), urn
        assert reg.protect == before_urns[urn].protect
    assert "webshop" not in unwrap(after.exports)["projects"]


def test_adding_a_project_adds_only_its_resources(lab_config):
    upstream = upstream_results(lab_config)
    before = render_projects(lab_config, upstream=upstream)
    config = copy.deepcopy(lab_config)
    config["idp:projects"].append({"name": "billing", "preview": {"enabled": False}})
    after = render_projects(config, upstream=upstream)
    added = {r.urn for r in after.resources} - {r.urn for r in before.resources}
    assert added and all(urn.endswith("::billing") or "::billing-" in urn for urn in added)
    assert not any("previews" in urn for urn in added)  # previews off
    assert unwrap(after.exports)["projects"]["billing"]["namespaces"] == ["billing-staging", "billing-production"]


@pytest.mark.parametrize("protect", [True, False])
def test_only_stateful_parts_are_protected_and_only_when_configured(lab_config, protect):
    config = copy.deepcopy(lab_config)
    config["idp:global"]["protect"] = protect
    result = render_projects(config)
    protected = {(r.type, r.name) for r in result.resources if r.protect}
    stateful = {(r.type, r.name) for r in result.resources if r.type in STATEFUL}
    assert len(stateful) == 4
    assert protected == (stateful if protect else set())


def test_secrets_never_reach_rendered_files_or_exports(lab_config, tmp_path):
    result = render_projects(lab_config)
    write_render(tmp_path, {"projects": result})
    secrets = ["mock-robot-secret", "test-projects-token", "test-harbor-password"]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_text()
            for secret in secrets:
                assert secret not in text, (path, secret)
    exported = json.dumps(unwrap(result.exports))
    assert not any(secret in exported for secret in secrets)
    # the providers get them, as Pulumi secrets
    providers = {r.type: r for r in result.resources if r.type.startswith("pulumi:providers:")}
    assert mask(providers["pulumi:providers:vault"].inputs)["token"] == "[secret]"
    assert mask(providers["pulumi:providers:harbor"].inputs)["password"] == "[secret]"
    assert unwrap(providers["pulumi:providers:harbor"].inputs)["password"] == "test-harbor-password"


def test_exports_per_project(lab_config):
    exports = unwrap(render_projects(lab_config).exports)["projects"]
    assert set(exports) == {"payments", "webshop"}
    payments = exports["payments"]
    assert payments["namespaces"] == ["payments-staging", "payments-production"]
    assert payments["vaultPath"] == "payments"
    assert payments["harborProject"] == "payments"
    assert payments["robotAccount"] == "robot$payments+ci"
    assert payments["urls"] == {
        "argocd": "https://argocd.lab.idp.internal/applications?proj=payments",
        "harbor": "https://harbor.lab.idp.internal/harbor/projects?name=payments",
        "vault": "https://vault.lab.idp.internal/ui/vault/secrets/payments/kv/list",
        "previews": "https://<app>-pr-<number>.lab.idp.internal",
    }
