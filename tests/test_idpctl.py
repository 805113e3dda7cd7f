"""The command-line contract: `idpctl validate` and `idpctl render` as a platform engineer runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
INVALID = REPO / "tests" / "fixtures" / "config" / "invalid"


def idpctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "idpctl", *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def assert_rendered(run: subprocess.CompletedProcess) -> None:
    """Rendered cleanly: exit 0, no dangling reference, no policy violation."""
    assert run.returncode == 0, run.stderr
    assert not [line for line in run.stderr.splitlines() if line.startswith(("integrity error: ", "policy violation: "))]


def test_validate_accepts_the_lab():
    run = idpctl("validate", "--config-file", "Pulumi.lab.yaml", "--env", "lab")
    assert run.returncode == 0, run.stderr
    assert "valid (5 nodes, 2 projects" in run.stdout


def test_validate_rejects_with_one_line_per_problem_and_no_traceback():
    run = idpctl("validate", "--config-file", str(INVALID / "metallb-pool-overlaps-node.yaml"), "--env", "dev")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"{INVALID / 'metallb-pool-overlaps-node.yaml'}:") for line in lines)
    assert "idp:platform.metallb.addresses[0]" in run.stderr


def test_validate_missing_file_is_a_config_error(tmp_path):
    run = idpctl("validate", "--config-file", str(tmp_path / "Pulumi.none.yaml"), "--env", "none")
    assert run.returncode == 2 and "cannot read" in run.stderr and "Traceback" not in run.stderr


def test_render_all_layers_of_the_lab(tmp_path):
    out = tmp_path / "out"
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "all", "--out", str(out))
    assert_rendered(run)
    for stack in ("lab-vms", "lab-cluster", "lab-platform", "lab-projects"):
        assert f"{stack}: " in run.stdout
    resources = json.loads((out / "resources.json").read_text())
    assert {"urn", "type", "name", "parent", "protect", "inputs"} <= set(resources[0])
    vms = [r for r in resources if r["type"] == "vsphere:index/virtualMachine:VirtualMachine"]
    assert len(vms) == 5
    assert all(r["inputs"]["extraConfig"] == "[secret]" for r in vms)
    talos = sorted(p.stem for p in (out / "talos").glob("*.yaml"))
    assert talos == ["lab-cp-1", "lab-cp-2", "lab-cp-3", "lab-wk-1", "lab-wk-2"]
    docs = list(yaml.safe_load_all((out / "talos" / "lab-cp-1.yaml").read_text()))
    assert any(d.get("kind") == "Layer2VIPConfig" for d in docs)
    manifests = list((out / "manifests" / "platform").glob("*.yaml"))
    assert manifests, "the platform layer declares Kubernetes objects"


def test_rendered_manifests_are_schema_valid(tmp_path, schemas):
    out = tmp_path / "out"
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--out", str(out))
    assert_rendered(run)
    errors = []
    for path in sorted((out / "manifests").rglob("*.yaml")):
        errors += schemas.validate(yaml.safe_load(path.read_text()))
    assert not errors, "\n".join(errors)


def test_render_single_layer_runs_its_upstream_layers(tmp_path):
    out = tmp_path / "out"
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "cluster", "--out", str(out))
    assert run.returncode == 0, run.stderr
    types = {r["type"] for r in json.loads((out / "resources.json").read_text())}
    assert "talos:machine/bootstrap:Bootstrap" in types
    assert "vsphere:index/virtualMachine:VirtualMachine" not in types


def test_render_of_invalid_config_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    run = idpctl("render", "--config-file", str(INVALID / "even-control-planes.yaml"), "--env", "dev", "--out", str(out))
    assert run.returncode == 2
    assert ": idp:vms.cluster.nodes: " in run.stderr
    assert not out.exists()


# ---- nothing lost: --out ------------------------------------------------------------------


def test_render_refuses_a_directory_it_did_not_write_and_touches_nothing(tmp_path):
    out = tmp_path / "work"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "vms", "--out", str(out))
    assert run.returncode == 2 and "not empty and was not written by `idpctl render`" in run.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"


def test_render_into_the_checkout_is_refused():
    before = sorted(p.name for p in REPO.iterdir())
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "vms", "--out", ".")
    assert run.returncode == 2 and "--force" in run.stderr
    assert sorted(p.name for p in REPO.iterdir()) == before


def test_rerender_replaces_only_its_own_files_and_force_keeps_foreign_ones(tmp_path):
    out = tmp_path / "out"
    assert idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "vms", "--out", str(out)).returncode == 0
    listed = json.loads((out / ".idpctl-render").read_text())["files"]
    assert "resources.json" in listed and any(f.startswith("talos/") for f in listed)
    (out / "talos" / "mine.yaml").write_text("kept")
    (out / "talos" / "lab-stale.yaml").write_text("x")  # not listed: a user's file, kept
    stale = out / "manifests" / "vms" / "old.yaml"
    stale.parent.mkdir(parents=True, exist_ok=True)
    marker = json.loads((out / ".idpctl-render").read_text())
    marker["files"].append("manifests/vms/old.yaml")
    marker["files"].append("../outside.txt")  # a listed path that leaves DIR is never followed
    (tmp_path / "outside.txt").write_text("outside")
    (out / ".idpctl-render").write_text(json.dumps(marker))
    stale.write_text("from the previous render")
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "vms", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert not stale.exists()
    assert (out / "talos" / "mine.yaml").read_text() == "kept" and (out / "talos" / "lab-stale.yaml").exists()
    assert (tmp_path / "outside.txt").read_text() == "outside"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("keep")
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "vms", "--out", str(foreign), "--force")
    assert run.returncode == 0, run.stderr
    assert (foreign / "keep.txt").read_text() == "keep" and (foreign / "resources.json").exists()
    assert "keep.txt" not in json.loads((foreign / ".idpctl-render").read_text())["files"]


def test_render_refuses_a_file_as_out(tmp_path):
    target = tmp_path / "file"
    target.write_text("data")
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--out", str(target))
    assert run.returncode == 2 and "not a directory" in run.stderr and target.read_text() == "data"


# ---- --env must agree with the file -------------------------------------------------------


def test_env_must_match_the_file_name_unless_told_otherwise(tmp_path):
    run = idpctl("validate", "--config-file", "Pulumi.lab.yaml", "--env", "prod")
    assert run.returncode == 2 and "environment file of 'lab', not of --env 'prod'" in run.stderr
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "prod", "--out", str(tmp_path / "o"))
    assert run.returncode == 2 and not (tmp_path / "o").exists()
    run = idpctl("validate", "--config-file", "Pulumi.lab.yaml", "--env", "prod", "--allow-env-mismatch")
    assert run.returncode == 0, run.stderr


# ---- machine-readable output --------------------------------------------------------------


def test_validate_json_output():
    run = idpctl("validate", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--output", "json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["valid"] is True and result["nodes"] == 5 and result["projects"] == ["payments", "webshop"]
    run = idpctl("validate", "--config-file", str(INVALID / "duplicate-section.yaml"), "--env", "dev", "--output", "json")
    assert run.returncode == 2
    result = json.loads(run.stdout)
    assert result["valid"] is False and "duplicate key" in result["errors"][0]


def test_render_json_summary_counts_what_resources_json_holds(tmp_path):
    out = tmp_path / "out"
    run = idpctl("render", "--config-file", "Pulumi.lab.yaml", "--env", "lab", "--layer", "vms", "--out", str(out), "--output", "json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    resources = json.loads((out / "resources.json").read_text())
    assert summary["stacks"]["lab-vms"]["resources"] == len(resources)
    assert summary["policyViolations"] == []


# ---- mandatory policies -------------------------------------------------------------------


def test_a_policy_violation_makes_render_fail(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from idpctl import render_cmd
    from idpctl.cli import cli

    monkeypatch.setattr(render_cmd, "scan", lambda results: ["lab-vms: some-rule: fix it"])
    result = CliRunner().invoke(
        cli, ["render", "--config-file", str(REPO / "Pulumi.lab.yaml"), "--env", "lab", "--layer", "vms", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3, result.output
    assert "policy violation: lab-vms: some-rule: fix it" in result.output


def test_version_is_the_packages():
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    run = idpctl("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"idpctl {version}"


def test_the_console_script_points_at_the_cli():
    import importlib
    import tomllib

    target = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]["idpctl"]
    module, _, attr = target.partition(":")
    assert callable(getattr(importlib.import_module(module), attr))
