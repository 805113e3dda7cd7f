"""One environment file shared by the four layer stacks, with secrets, under the real CLI.

The runners call every layer as `pulumi <cmd> --stack <env>-<layer> --config-file Pulumi.<env>.yaml`.
With the passphrase secrets provider the salt (`encryptionsalt`) sits in that file, so all four
stacks must agree on it; these tests show what the CLI does when four stacks are created on
one file, whether a secret set through one stack reads back through the others, and that no
plain value leaks into the file or the backend's state.
"""

from __future__ import annotations

import yaml

from pulumi_cli import LAYERS, init_stacks, set_ci_secrets


def salts(text: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("encryptionsalt:")]


def test_four_stacks_share_one_salt(engine):
    init_stacks(engine)
    text = engine.config_file.read_text()
    assert len(salts(text)) == 1, f"expected one encryptionsalt in the shared file, got:\n{text[:400]}"
    # Every stack exists in the backend, each under its own name.
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
    # The non-secret sections came through untouched and are still readable by every stack.
    plain = engine.with_stack("vms", "config", "get", "idp:organization").stdout.strip()
    assert plain == "organization"


def test_stack_init_keeps_an_existing_salt(engine):
    """A stack added later (or on the other runner) must reuse the salt, not re-key the file."""
    init_stacks(engine, layers=("vms",))
    values = set_ci_secrets(engine, layer="vms")
    before = salts(engine.config_file.read_text())
    init_stacks(engine, layers=("cluster", "platform", "projects"))
    after = salts(engine.config_file.read_text())
    assert before == after
    shown = engine.with_stack("projects", "config", "--show-secrets", "--json").json()
    assert {k: shown[k]["value"] for k in values} == values


def test_wrong_passphrase_is_refused(engine):
    init_stacks(engine, layers=("platform",))
    set_ci_secrets(engine)
    engine.env["PULUMI_CONFIG_PASSPHRASE"] = "not-the-passphrase"
    result = engine.with_stack("platform", "config", "--show-secrets", check=False)
    assert result.returncode != 0
    assert "passphrase" in result.output.lower()


def test_no_plain_secret_in_backend_state(engine):
    """Secrets reach the program as secrets; the backend's state files never hold the value."""
    init_stacks(engine, layers=("platform",))
    values = set_ci_secrets(engine)
    backend = engine.env["PULUMI_BACKEND_URL"].removeprefix("file://")
    from pathlib import Path

    for path in Path(backend).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for key, value in values.items():
                assert value.encode() not in data, f"{key} in plain text in {path}"
