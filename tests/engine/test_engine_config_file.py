"""One environment file shared by the four layer stacks, with secrets, under the real CLI.

The runners call every layer as `pulumi <cmd> --stack <env>-<layer> --config-file Pulumi.<env>.yaml`.
With the passphrase secrets provider the salt (`encryptionsalt`) that derives the key sits in the
config file the command reads, so the four stacks share one salt, one key and one set of
`secure:` values. `pulumi stack init` has no --config-file flag and writes a salt of its own into
Pulumi.<stack>.yaml; these tests show that file is never needed (docs/adr/0002).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pulumi_cli import LAYERS, init_stacks, set_ci_secrets


def salts(text: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("encryptionsalt:")]


def test_stack_init_writes_its_own_salt_beside_the_shared_file(engine):
    """What `stack init` does: a per-stack file with a salt, and the shared file untouched."""
    before = engine.config_file.read_text()
    init_stacks(engine, layers=("vms",), keep_stack_files=True)
    own = engine.workdir / "Pulumi.ci-vms.yaml"
    assert len(salts(own.read_text())) == 1
    assert engine.config_file.read_text() == before


def test_first_secret_puts_one_salt_in_the_shared_file(engine):
    init_stacks(engine)
    assert salts(engine.config_file.read_text()) == []
    set_ci_secrets(engine, layer="platform")
    assert len(salts(engine.config_file.read_text())) == 1
    # The non-secret sections survive the CLI's rewrite of the file and still validate.
    config = yaml.safe_load(engine.config_file.read_text())["config"]
    assert config["idp:vms"]["cluster"]["nodes"][0]["name"] == "ci-cp-1"
    assert config["idp:projects"][0]["sourceRepos"] == ["https://git.ci.idp.internal/scm/pay/*"]
    listed = engine.run("stack", "ls", "--json").json()
    assert sorted(s["name"] for s in listed) == sorted(f"ci-{layer}" for layer in LAYERS)


def test_secret_set_through_one_stack_reads_through_all(engine):
    init_stacks(engine)
    values = set_ci_secrets(engine, layer="platform")
    text = engine.config_file.read_text()
    config = yaml.safe_load(text)["config"]
    for key, value in values.items():
        assert set(config[key]) == {"secure"}, f"{key} is not stored as a secure value"
        assert value not in text, f"{key} is in the file in plain text"
    for layer in LAYERS:
        shown = engine.with_stack(layer, "config", "--show-secrets", "--json").json()
        for key, value in values.items():
            assert shown[key]["value"] == value, f"{key} does not decrypt through ci-{layer}"
            assert shown[key]["secret"] is True
    assert engine.with_stack("vms", "config", "get", "idp:organization").stdout.strip() == "organization"


def test_secrets_set_through_different_stacks_share_the_salt(engine):
    init_stacks(engine)
    first = set_ci_secrets(engine, layer="vms")
    salt = salts(engine.config_file.read_text())
    second = set_ci_secrets(engine, layer="projects")
    assert salts(engine.config_file.read_text()) == salt
    shown = engine.with_stack("cluster", "config", "--show-secrets", "--json").json()
    assert {k: shown[k]["value"] for k in second} == second
    assert first != second


def test_per_stack_salt_files_do_not_matter(engine):
    """Stack files left by `stack init` (salts of their own) neither help nor hurt."""
    init_stacks(engine, keep_stack_files=True)
    values = set_ci_secrets(engine, layer="cluster")
    for layer in LAYERS:
        shown = engine.with_stack(layer, "config", "--show-secrets", "--json").json()
        assert {k: shown[k]["value"] for k in values} == values


def test_wrong_passphrase_is_refused(engine):
    init_stacks(engine, layers=("platform",))
    set_ci_secrets(engine)
    engine.env["PULUMI_CONFIG_PASSPHRASE"] = "not-the-passphrase"
    result = engine.with_stack("platform", "config", "--show-secrets", check=False)
    assert result.returncode != 0
    assert "passphrase" in result.output.lower()


def test_no_plain_secret_in_backend_state(engine):
    """After a run of the program the backend's files never hold a secret's value."""
    init_stacks(engine, layers=("platform",))
    values = set_ci_secrets(engine)
    engine.with_stack("platform", "preview", check=False, timeout=900)
    backend = Path(engine.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for path in backend.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for key, value in values.items():
                assert value.encode() not in data, f"{key} in plain text in {path}"


MINIMAL_PROGRAM = '''import pulumi

pulumi.export("ldapDexBindPassword", pulumi.Config("idp").require_secret("ldapDexBindPassword"))
'''


def test_each_stack_state_takes_the_shared_salt(engine):
    """After `up` with --config-file, every stack's state records the shared file's salt, and
    `stack output --show-secrets` (which has no --config-file flag) decrypts without any
    per-stack file. The project's own layers cannot complete an `up` without provider plugins,
    so a two-line program in the same project stands in for them here; the mechanism under test
    is the CLI's, not the program's."""
    import json

    (engine.workdir / "__main__.py").write_text(MINIMAL_PROGRAM)
    init_stacks(engine, layers=("vms", "cluster"))
    values = set_ci_secrets(engine, layer="vms")
    salt = salts(engine.config_file.read_text())
    for layer in ("vms", "cluster"):
        engine.with_stack(layer, "up", "--yes", "--skip-preview", timeout=900)
    backend = Path(engine.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for layer in ("vms", "cluster"):
        state = json.loads((backend / ".pulumi" / "stacks" / "idp" / f"ci-{layer}.json").read_text())
        provider = state["checkpoint"]["latest"]["secrets_providers"]
        assert provider["type"] == "passphrase"
        assert [provider["state"]["salt"]] == salt, f"ci-{layer} state has another salt"
        shown = engine.run("stack", "output", "ldapDexBindPassword", "--show-secrets", "--stack", engine.stack(layer))
        assert shown.stdout.strip() == values["idp:ldapDexBindPassword"]


def test_pipeline_sets_a_secret_from_standard_input(engine):
    """The platform pipeline pipes each CI secured variable into `config set --secret` (no value
    on the command line, so it never shows in the process list or the log)."""
    init_stacks(engine, layers=("platform", "vms"))
    engine.with_stack("platform", "config", "set", "--secret", "idp:ldapDexBindPassword", stdin="from-the-pipeline")
    config = yaml.safe_load(engine.config_file.read_text())["config"]
    assert set(config["idp:ldapDexBindPassword"]) == {"secure"}
    shown = engine.with_stack("vms", "config", "get", "idp:ldapDexBindPassword")
    assert shown.stdout.strip() == "from-the-pipeline"
