"""`idpctl project add|remove` on a copy of the lab environment file."""

from __future__ import annotations

import difflib
import shutil

import pytest
import yaml
from click.testing import CliRunner

from idpctl.cli import _attach, cli
from tests.conftest import LAB_FILE

_attach()


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "Pulumi.lab.yaml"
    shutil.copy(LAB_FILE, path)
    return path


def run(*args):
    return CliRunner().invoke(cli, ["project", *args], catch_exceptions=False)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def projects(path):
    return yaml.safe_load(path.read_text())["config"]["idp:projects"]


def test_add_appends_one_entry_and_keeps_everything_else(env_file):
    before = env_file.read_text()
    result = run(
        "add", "billing", "--config-file", str(env_file),
        "--env-name", "staging", "--env-name", "production", "--env-name", "dev",
        "--source-repo", "https://bitbucket.lab.idp.internal/scm/bil/*",
        "--preview-repo", "https://bitbucket.lab.idp.internal/scm/bil/billing.git",
    )
    assert result.exit_code == 0, result.output
    assert "added project billing (namespaces billing-staging, billing-production, billing-dev)" in result.output
    after = env_file.read_text()
    assert changed_lines(before, after) == [
        "+    - name: billing",
        "+      environments: [staging, production, dev]",
        "+      sourceRepos: [https://bitbucket.lab.idp.internal/scm/bil/*]",
        "+      preview:",
        "+        repoUrl: https://bitbucket.lab.idp.internal/scm/bil/billing.git",
    ]
    # comments and the other entries survive untouched
    assert after.startswith(before.split("  idp:projects:")[0])
    assert [p["name"] for p in projects(env_file)] == ["payments", "webshop", "billing"]


def test_remove_deletes_exactly_that_entry(env_file):
    before = env_file.read_text()
    result = run("remove", "payments", "--config-file", str(env_file))
    assert result.exit_code == 0, result.output
    assert "protected" in result.output and "docs/runbooks/projects.md" in result.output
    after = env_file.read_text()
    removed = changed_lines(before, after)
    assert all(line.startswith("-") for line in removed)
    assert removed[0] == "-    - name: payments"
    assert "-      # Pull requests from preview/<app>/<desc> branches of this repository get a preview." in removed
    assert [p["name"] for p in projects(env_file)] == ["webshop"]
    assert "# Layer 4: tenant projects." in after


def test_add_then_remove_restores_the_file(env_file):
    before = env_file.read_text()
    assert run("add", "billing", "--config-file", str(env_file), "--no-preview").exit_code == 0
    assert run("remove", "billing", "--config-file", str(env_file)).exit_code == 0
    assert env_file.read_text() == before


@pytest.mark.parametrize(
    "args, expected",
    [
        (("add", "payments"), "config error: idp:projects[2].name: payments is already used by projects[0]"),
        (("add", "payments-eu"), "config error: idp:projects[2].name: payments-eu starts with payments-"),
        (("add", "Billing"), "config error: idp:projects[2].name: 'Billing' is not a DNS-1123 label"),
        (("add", "vault"), "config error: idp:projects[2].name: vault is reserved for the platform"),
        (("add", "billing", "--preview-repo", "https://bitbucket.lab.idp.internal/scm/bil/billing.git"),
         "config error: idp:projects[2].preview.repoUrl: https://bitbucket.lab.idp.internal/scm/bil/billing.git is not allowed by sourceRepos"),
        (("remove", "billing"), "config error: idp:projects: no project named billing (projects: payments, webshop)"),
    ],
)
def test_invalid_results_exit_2_and_leave_the_file_untouched(env_file, args, expected):
    before = env_file.read_bytes()
    result = CliRunner().invoke(cli, ["project", *args, "--config-file", str(env_file)])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert all(line.startswith("config error: ") for line in result.output.strip().splitlines())
    assert env_file.read_bytes() == before


def test_default_file_is_named_after_the_environment(env_file, monkeypatch):
    monkeypatch.chdir(env_file.parent)
    result = run("add", "billing", "--env", "lab", "--no-preview")
    assert result.exit_code == 0, result.output
    assert projects(env_file)[-1] == {"name": "billing", "preview": {"enabled": False}}
