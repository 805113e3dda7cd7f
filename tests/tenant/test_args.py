"""TenantProjectArgs: defaults, derived values and the errors a team sees for a bad entry."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.tenant.args import TenantProjectArgs


def errors(**entry) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        TenantProjectArgs.model_validate(entry)
    return [str(e["ctx"]["summary"]) if e["type"] == "idp_path" else f"{e['loc']}: {e['msg']}" for e in caught.value.errors()]


def test_defaults():
    args = TenantProjectArgs(name="payments")
    assert args.namespaces == ["payments-staging", "payments-production"]
    assert args.group == "payments"
    assert args.quota_for("staging").hard()["pods"] == "50"
    assert args.preview.quota.hard()["persistentvolumeclaims"] == "0"
    assert args.harbor.storage_quota_gb == 50
    assert args.preview_repo is None and not args.previews_enabled


def test_preview_repository_from_a_concrete_source_repo():
    args = TenantProjectArgs(
        name="shop",
        source_repos=["https://git.example.org/scm/shop/*", "https://git.example.org/bitbucket/scm/shop/web-shop.git"],
    )
    repo = args.preview_repo
    assert repo is not None
    assert (repo.api, repo.project, repo.repo) == ("https://git.example.org/bitbucket/rest", "SHOP", "web-shop")
    assert TenantProjectArgs.model_validate({**args.model_dump(by_alias=True), "preview": {"enabled": False}}).preview_repo is None


def test_environment_quota_override():
    args = TenantProjectArgs.model_validate(
        {"name": "payments", "environmentQuotas": {"production": {"requestsCpu": "16", "limitsCpu": "32", "pods": 200}}}
    )
    assert args.quota_for("production").hard()["requests.cpu"] == "16"
    assert args.quota_for("staging").hard()["requests.cpu"] == "4"


@pytest.mark.parametrize(
    "entry, expected",
    [
        ({"name": "platform"}, "name: platform is reserved"),
        ({"name": "secret"}, "name: secret is reserved (the platform's Vault KV mount)"),
        ({"name": "x", "environments": ["pr-1"]}, "environments[0]: pr-1 would clash with preview namespaces x-pr-<number>"),
        ({"name": "x", "environmentQuotas": {"prod": {}}}, "environmentQuotas.prod: prod is not one of environments"),
        ({"name": "x", "preview": {"enabled": True}}, "preview.repoUrl: previews need a Bitbucket Server repository"),
        ({"name": "x", "preview": {"repoUrl": "https://github.com/x/y.git"}}, "is not a Bitbucket Server clone URL"),
        (
            {"name": "x", "sourceRepos": ["https://bb.example.org/scm/abc/*"], "preview": {"repoUrl": "https://bb.example.org/scm/xyz/app.git"}},
            "preview.repoUrl: https://bb.example.org/scm/xyz/app.git is not allowed by sourceRepos",
        ),
        ({"name": "a" * 55}, "is too long for preview namespaces"),
    ],
)
def test_invalid_entries_name_the_key(entry, expected):
    assert any(expected in line for line in errors(**entry)), errors(**entry)


@pytest.mark.parametrize("bad", ["lots", "1.5.5", "-"])
def test_quantities_are_checked(bad):
    assert any("is not a Kubernetes quantity" in line for line in errors(name="x", quota={"requestsCpu": bad}))


def test_unknown_keys_are_refused():
    assert any("extra" in line.lower() or "forbidden" in line.lower() for line in errors(name="x", quota={"cpu": "2"}))
