"""`idpctl project add|remove` on a copy of the lab environment file."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import stat

import pytest
import yaml
from click.testing import CliRunner

from idpctl.cli import cli
from tests.conftest import LAB_FILE



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
        (("add", "payments"), "idp:projects[2].name: payments is already used by projects[0]"),
        (("add", "payments-eu"), "idp:projects[2].name: payments-eu starts with payments-"),
        (("add", "Billing"), "idp:projects[2].name: 'Billing' is not a DNS-1123 label"),
        (("add", "vault"), "idp:projects[2].name: vault is reserved for the platform"),
        (("add", "billing", "--preview-repo", "https://bitbucket.lab.idp.internal/scm/bil/billing.git"),
         "idp:projects[2].preview.repoUrl: https://bitbucket.lab.idp.internal/scm/bil/billing.git is not allowed by sourceRepos"),
        (("remove", "billing"), "idp:projects: no project named billing (projects: payments, webshop)"),
    ],
)
def test_invalid_results_exit_2_and_leave_the_file_untouched(env_file, args, expected):
    before = env_file.read_bytes()
    result = CliRunner().invoke(cli, ["project", *args, "--config-file", str(env_file)])
    assert result.exit_code == 2, result.output
    assert f": {expected}" in result.output
    # one `<file>:<line>: <key>: <message>` line per problem, naming the file the user gave
    assert all(re.match(rf"^{re.escape(str(env_file))}:\d+: idp:", line) for line in result.output.strip().splitlines())
    assert env_file.read_bytes() == before


def test_default_file_is_named_after_the_environment(env_file, monkeypatch):
    monkeypatch.chdir(env_file.parent)
    result = run("add", "billing", "--env", "lab", "--no-preview")
    assert result.exit_code == 0, result.output
    assert projects(env_file)[-1] == {"name": "billing", "preview": {"enabled": False}}


def test_crlf_line_endings_and_mode_are_kept(env_file):
    env_file.write_bytes(env_file.read_bytes().replace(b"\n", b"\r\n"))
    env_file.chmod(0o640)
    assert run("add", "billing", "--config-file", str(env_file), "--no-preview").exit_code == 0
    data = env_file.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 100
    assert b"name: billing\r\n" in data
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    assert run("remove", "billing", "--config-file", str(env_file)).exit_code == 0


def test_a_symbolic_link_stays_a_link_and_its_target_is_edited(env_file, tmp_path):
    link = tmp_path / "link" / "Pulumi.lab.yaml"
    link.parent.mkdir()
    link.symlink_to(env_file)
    assert run("add", "billing", "--config-file", str(link), "--no-preview").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(env_file)
    assert [p["name"] for p in projects(env_file)][-1] == "billing"


def test_a_read_only_file_is_refused(env_file):
    env_file.chmod(0o444)
    before = env_file.read_bytes()
    result = CliRunner().invoke(cli, ["project", "add", "billing", "--config-file", str(env_file)])
    assert result.exit_code == 2 and "permission denied" in result.output
    assert env_file.read_bytes() == before


def test_a_file_in_a_read_only_directory_is_refused_and_unchanged(env_file, monkeypatch):
    before = env_file.read_bytes()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(env_file.parent) else real_access(p, mode))
    result = CliRunner().invoke(cli, ["project", "add", "billing", "--config-file", str(env_file)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"{env_file}:1: <root>: cannot write") and len(result.output.splitlines()) == 1
    assert env_file.read_bytes() == before


def test_a_failed_write_leaves_the_file_byte_identical(env_file, monkeypatch):
    before = env_file.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = CliRunner().invoke(cli, ["project", "add", "billing", "--config-file", str(env_file)])
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output
    assert env_file.read_bytes() == before
    assert sorted(p.name for p in env_file.parent.iterdir()) == ["Pulumi.lab.yaml"], "no temporary file left behind"


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda b: b.replace(b"config:\n", b"config:\n  idp:projects: []\n", 1), "idp:projects: duplicate key (first at line"),
        (lambda b: b + b"\n# caf\xe9\n", "not UTF-8 text (byte 0xe9)"),
        (lambda b: b + b"config:\n  idp:projects: []\n", "config: duplicate key"),
    ],
    ids=["duplicate-key", "latin-1", "duplicate-section"],
)
def test_unparseable_files_are_one_line_and_unchanged(env_file, damage, expected):
    env_file.write_bytes(damage(env_file.read_bytes()))
    before = env_file.read_bytes()
    result = CliRunner().invoke(cli, ["project", "add", "billing", "--config-file", str(env_file)])
    assert result.exit_code == 2
    assert expected in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert env_file.read_bytes() == before


def test_env_must_agree_with_the_file_name(env_file):
    before = env_file.read_bytes()
    result = CliRunner().invoke(cli, ["project", "add", "billing", "--env", "prod", "--config-file", str(env_file)])
    assert result.exit_code == 2 and "not of --env 'prod'" in result.output
    assert env_file.read_bytes() == before
