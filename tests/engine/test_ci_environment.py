"""Pulumi.ci.yaml keeps the shape of Pulumi.lab.yaml and stays valid (no toolchain needed).

The real-engine tests run the layers with Pulumi.ci.yaml; if the lab file gains a section the
program needs and the ci file does not, the engine tests would fail for the wrong reason. This
check runs in every `make test`, with or without the toolchain.
"""

from __future__ import annotations

import yaml

from pulumi_cli import REPO


def config_of(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())["config"]


def plain_keys(config: dict) -> set[str]:
    return {k for k, v in config.items() if not (isinstance(v, dict) and set(v) == {"secure"})}


def test_ci_file_has_every_top_level_key_of_the_lab_file():
    assert plain_keys(config_of("Pulumi.ci.yaml")) == plain_keys(config_of("Pulumi.lab.yaml"))


def test_ci_file_configures_every_platform_component_of_the_lab_file():
    lab, ci = config_of("Pulumi.lab.yaml")["idp:platform"], config_of("Pulumi.ci.yaml")["idp:platform"]
    assert sorted(ci) == sorted(lab)


def test_ci_file_validates_and_is_throwaway():
    from idpctl.envfile import validate_file

    env = validate_file(REPO / "Pulumi.ci.yaml", "ci")
    assert env.config.global_.protect is False
    assert "encryptionsalt" not in (REPO / "Pulumi.ci.yaml").read_text().replace("no encryptionsalt", "")
