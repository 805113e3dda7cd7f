"""platform.yaml, score.yaml and values.yaml are validated with located, one-line errors.

Invalid fixtures say in their first comment why they must be rejected and, in `# expect:`, the
`line: field: message` the user must see; valid fixtures must load and render for every
environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from components.golden_path import render
from components.golden_path.source import SpecError
from components.golden_path.spec import PlatformSpec, json_schema

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = HERE / "fixtures"
INVALID = sorted(FIXTURES.glob("*/invalid/*.yaml"))
VALID = sorted(FIXTURES.glob("platform/valid/*.yaml"))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: f"{p.parent.parent.name}-{p.stem}")
def test_invalid_file_is_rejected_at_its_line(path: Path, gp) -> None:
    reason, expect = gp.expectation(path)
    assert reason and expect, f"{path} must start with a reason and an `# expect:` line"
    with pytest.raises(SpecError) as info:
        render.load_spec(path)
    assert any(line.startswith(f"{path}:{expect}") for line in info.value.lines), (
        f"{reason}\nexpected a line starting {path}:{expect}\ngot: {info.value.lines}"
    )
    assert all("Traceback" not in line and "\n" not in line for line in info.value.lines)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_platform_file_loads(path: Path) -> None:
    kind, _, spec = render.load_spec(path)
    assert kind == "platform" and isinstance(spec, PlatformSpec)


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    """A team fixing its file sees all problems in one run, each on its own line."""
    path = tmp_path / "platform.yaml"
    path.write_text("name: hello\nteam: web\nproject: webshop\nreplica: 2\ningress:\n  hots: x.example.com\n")
    with pytest.raises(SpecError) as info:
        render.load_spec(path)
    assert len(info.value.lines) == 3
    assert any(":4: replica: unknown key" in line for line in info.value.lines)
    assert any(":6: ingress.hots: unknown key (did you mean 'host'?)" in line for line in info.value.lines)
    assert any(":5: ingress.host: required key is missing" in line for line in info.value.lines)


def test_malformed_yaml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("name: hello\nteam: [web\nproject: webshop\n")
    with pytest.raises(SpecError) as info:
        render.load_spec(path)
    assert info.value.lines[0].startswith(f"{path}:") and "not valid YAML" in info.value.lines[0]


def test_committed_json_schema_is_current() -> None:
    """Editors read components/golden_path/platform.schema.json; it must match the model."""
    committed = json.loads((REPO / "components" / "golden_path" / "platform.schema.json").read_text())
    assert committed == json_schema(), "regenerate: python -m idpctl app schema > components/golden_path/platform.schema.json"


def test_json_schema_agrees_with_the_model() -> None:
    """The exported schema accepts what the model accepts and rejects a misspelt key like it."""
    validator = jsonschema.Draft202012Validator(json_schema())
    for path in VALID + [REPO / "examples" / "hello" / "platform.yaml"]:
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text()))), path
    typo = yaml.safe_load((FIXTURES / "platform" / "invalid" / "misspelt-nested-key.yaml").read_text())
    assert any("hots" in e.message for e in validator.iter_errors(typo))


def test_model_defaults_are_secure_and_explicit() -> None:
    spec = PlatformSpec(name="a", team="t", project="p")
    assert spec.resources.requests_cpu and spec.resources.requests_memory and spec.resources.limits_memory
    assert spec.secrets.project_secret and spec.reloader
    assert spec.probes.liveness.enabled and spec.probes.readiness.enabled


def test_chart_readme_documents_every_value() -> None:
    """Each key of the chart's values.yaml (two levels deep) has a row in the README table."""
    readme = (REPO / "charts" / "platform-app" / "README.md").read_text()
    values = yaml.safe_load((REPO / "charts" / "platform-app" / "values.yaml").read_text())
    keys = [k for k in values] + [f"{k}.{sub}" for k, v in values.items() if isinstance(v, dict) and k not in ("service", "resources")
                                  for sub in v]
    missing = [k for k in keys if f"| `{k}` |" not in readme]
    assert missing == []


def test_chart_values_keys_have_a_doc_comment() -> None:
    """STYLE §11: a `# --` comment on every top-level key of values.yaml."""
    lines = (REPO / "charts" / "platform-app" / "values.yaml").read_text().splitlines()
    undocumented = []
    for index, line in enumerate(lines):
        if line and not line.startswith(("#", " ")) and ":" in line:
            block = []
            j = index - 1
            while j >= 0 and lines[j].startswith("#"):
                block.append(lines[j])
                j -= 1
            if not any(b.startswith("# --") for b in block):
                undocumented.append(line.split(":")[0])
    assert undocumented == []
