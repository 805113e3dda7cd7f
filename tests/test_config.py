"""The environment file is validated as a whole, with one precise line per problem."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from idpctl.envfile import read_file_config, secure_keys, validate_file
from stacks.config import SECRET_KEYS
from stacks.loading import ConfigError, load_environment

FIXTURES = Path(__file__).parent / "fixtures" / "config"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))


def validate(path: Path):
    return validate_file(path, "dev")


def test_there_are_enough_invalid_fixtures():
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_is_accepted(path: Path):
    env = validate(path)
    assert env.config.vms.cluster.nodes


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_is_rejected_naming_the_key(path: Path):
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    assert lines[0].startswith("# Rejected: "), "each invalid fixture starts with why it must be rejected"
    expected_key = lines[1].removeprefix("# expect: ")
    allowed = {expected_key, *(line.removeprefix("# also: ") for line in lines[2:4] if line.startswith("# also: "))}
    with pytest.raises(ConfigError) as caught:
        validate(path)
    # `<file>:<line>: <key path>: <message>`, one line per problem, every one about the fixture's reason
    located = [re.match(rf"^{re.escape(str(path))}:(\d+): (\S+?): (.+)$", line) for line in caught.value.lines]
    assert all(located) and all("\n" not in line for line in caught.value.lines), caught.value.lines
    keys = [m.group(2) for m in located if m]

    def under(key: str, parent: str) -> bool:
        return key == parent or key.startswith((parent + ".", parent + "["))

    assert any(under(k, expected_key) for k in keys), caught.value.lines
    assert all(any(under(k, a) for a in allowed) for k in keys), caught.value.lines
    assert all(1 <= int(m.group(1)) <= len(lines) for m in located if m)


def test_lab_environment_is_valid_and_complete(lab_config):
    env = load_environment("lab", lab_config, secure_keys(lab_config))
    nodes = env.config.vms.cluster.nodes
    assert [n.role for n in nodes].count("controlplane") == 3
    assert [n.role for n in nodes].count("worker") == 2
    assert len(env.config.projects) == 2
    assert env.config.vms.cluster.endpoint == f"https://{env.config.vms.cluster.network.vip}:6443"


def test_field_error_names_the_key_even_with_other_problems(lab_config):
    cluster = lab_config["idp:vms"]["cluster"]
    cluster["nodes"][0]["ip"] = "192.0.2.1"
    cluster["nodes"][1]["name"] = cluster["nodes"][2]["name"]
    cluster["talosVersion"] = "one"
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", lab_config, set())
    text = "\n".join(caught.value.lines)
    assert "idp:vms.cluster.talosVersion" in text


def test_topology_errors_are_all_listed(lab_config):
    cluster = lab_config["idp:vms"]["cluster"]
    cluster["nodes"][0]["ip"] = "192.0.2.1"
    cluster["nodes"][1]["name"] = cluster["nodes"][2]["name"]
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", lab_config, set())
    keys = {line.split(": ")[1] for line in caught.value.lines}
    assert {"idp:vms.cluster.nodes[0].ip", "idp:vms.cluster.nodes[2].name"} <= keys


def test_secret_keys_must_be_secure(lab_config):
    lab_config["idp:s3SecretAccessKey"] = "plain"
    with pytest.raises(ConfigError, match=r"idp:s3SecretAccessKey: must be a secret"):
        load_environment("lab", lab_config, set())
    env = load_environment("lab", lab_config, {"idp:s3SecretAccessKey"})
    assert "s3SecretAccessKey" in env.secrets


def test_a_section_cannot_be_made_secret(lab_config):
    with pytest.raises(ConfigError, match=r"idp:vms: is a secret"):
        load_environment("lab", lab_config, {"idp:vms"})


def test_sections_arrive_as_json_strings_from_the_engine(lab_config):
    import json

    as_engine = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in lab_config.items()}
    env = load_environment("lab", as_engine, set())
    assert env.config.global_.domain == lab_config["idp:global"]["domain"]


def test_environment_name_must_be_a_label(lab_config):
    with pytest.raises(ConfigError, match="environment name"):
        load_environment("Lab_1", lab_config, set())


def test_malformed_yaml_names_file_and_line(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  idp:vms: [unclosed\n  other: 1\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.bad\.yaml:\d+: <root>: not valid YAML"):
        read_file_config(bad)


def test_alias_bomb_is_refused_quickly():
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="through aliases"):
        validate(FIXTURES / "invalid" / "alias-bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_values_from_the_engine_are_named_by_key_without_a_file(lab_config):
    lab_config["idp:vms"]["cluster"]["name"] = "Not A Label"
    with pytest.raises(ConfigError) as caught:
        load_environment("lab", lab_config, set())
    assert caught.value.lines[0].startswith("config error: idp:vms.cluster.name: ")


def test_environment_and_application_files_share_one_error_type():
    from components.golden_path.source import SpecError

    assert SpecError is ConfigError


def test_unknown_nested_key_in_a_file_suggests_the_known_one(tmp_path):
    text = (FIXTURES / "valid" / "minimal.yaml").read_text().replace("allowSchedulingOnControlPlanes", "allowSchedulingOnControlPlane")
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        validate(path)
    line = text.splitlines().index("      allowSchedulingOnControlPlane: true") + 1
    assert caught.value.lines == [
        f"{path}:{line}: idp:vms.cluster.allowSchedulingOnControlPlane: unknown key (did you mean 'allowSchedulingOnControlPlanes'?)"
    ]


def test_lab_file_holds_no_plain_secret():
    text = (Path(__file__).parent.parent / "Pulumi.lab.yaml").read_text()
    config = yaml.safe_load(text)["config"]
    for key in (f"idp:{k}" for k in SECRET_KEYS):
        if key in config:
            assert isinstance(config[key], dict) and set(config[key]) == {"secure"}, key


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_validate_command_prints_one_line_per_problem_and_exits_2(path: Path):
    """The command itself: exit 2, only located lines on stderr, nothing on stdout, no traceback."""
    from click.testing import CliRunner

    from idpctl.cli import cli

    result = CliRunner().invoke(cli, ["validate", "--config-file", str(path), "--env", "dev"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines and all(re.match(rf"^{re.escape(str(path))}:\d+: \S+: \S", line) for line in lines), lines


def test_a_misspelt_section_suggests_the_section_and_an_unrelated_one_nothing(tmp_path):
    with pytest.raises(ConfigError) as caught:
        validate(FIXTURES / "invalid" / "misspelt-section.yaml")
    assert any(line.endswith("idp:platfrom: unknown key (did you mean 'idp:platform'?)") for line in caught.value.lines)
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text((FIXTURES / "valid" / "minimal.yaml").read_text() + "  idp:bomb: 1\n")
    with pytest.raises(ConfigError) as caught:
        validate(path)
    assert caught.value.lines == [f"{path}:{len(path.read_text().splitlines())}: idp:bomb: unknown key"]
