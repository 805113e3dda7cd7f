"""`idpctl docs`: the portal's environment pages, generated from the environment file."""

from __future__ import annotations

import json
import re
import sys

import pytest
import yaml

from components.platform.catalog import CATALOG
from components.platform.chart import DeliveryArgs
from idpctl.portal import GENERATED_MARKER, PAGES
from idpctl.portal_services import URLS
from stacks.loading import ConfigError, load_environment
from tests.docs.helpers import REPO, run

LAB = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())["config"]


def generate(out, config_file="Pulumi.lab.yaml", env="lab"):
    return run(sys.executable, "-m", "idpctl", "docs", "--config-file", str(config_file), "--env", env, "--out", str(out))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("environment")
    result = generate(out)
    assert result.returncode == 0, result.stderr
    return {name: (out / name).read_text() for name in PAGES}


def test_writes_every_page_with_its_marker(pages):
    assert set(pages) == set(PAGES)
    for name, text in pages.items():
        assert GENERATED_MARKER in text.split("# ", 1)[0], name


def test_catalog_names_each_project_of_the_file(pages):
    catalog = pages["catalog.md"]
    for project in LAB["idp:projects"]:
        name = project["name"]
        section = catalog.split(f"### {name}\n", 1)[1].split("###", 1)[0]
        for env in project.get("environments", ["staging", "production"]):
            assert f"`{name}-{env}`" in section
        assert f"`{project.get('teamGroup', name)}`" in section
        assert f"`{name}/`" in section  # Vault KV mount
        assert f"proj={name})" in section and f"projects?name={name})" in section
        assert "-pr-<number>.lab.idp.internal" in section  # both lab projects name a preview repository


def test_services_page_lists_every_catalog_service_with_its_pinned_version(pages):
    rows = [line for line in pages["services.md"].splitlines() if line.startswith("| **")]
    assert len(rows) == len(CATALOG)
    env = load_environment("lab", LAB, set()).config.platform
    for row, service in zip(rows, CATALOG):  # in catalog order
        args = env.service_args(service)
        if service.namespace:
            assert f"| `{service.namespace}` |" in row, service.key
        if isinstance(args, DeliveryArgs):
            assert f"| `{args.chart.version}` | {args.delivery} |" in row, service.key
        assert ("| enabled |" if args.enabled else "| disabled |") in row, service.key


def test_every_service_with_an_ingress_has_a_portal_url():
    missing = [s.key for s in CATALOG if s.ingress and s.key not in URLS]
    assert not missing, f"add these to idpctl/portal_services.URLS: {missing}"


def test_schema_page_has_every_key_of_platform_yaml(pages):
    schema = json.loads(run(sys.executable, "-m", "idpctl", "app", "schema").stdout)
    page = pages["platform-yaml.md"]
    for key in schema["properties"]:
        assert f"| `{key}` |" in page, key
    for name, definition in schema["$defs"].items():
        for key in definition.get("properties", {}):
            assert re.search(rf"\| `[^`]*\b{re.escape(key)}` \|", page), f"{name}.{key}"


def test_support_page_lists_the_configured_contacts(pages):
    support = pages["support.md"]
    contacts = LAB["idp:global"]["support"]
    assert contacts
    for contact in contacts:
        assert contact["name"] in support
        if "email" in contact:
            assert f"mailto:{contact['email']}" in support
        if "url" in contact:
            assert contact["url"] in support


def test_never_overwrites_a_file_it_did_not_write(tmp_path):
    mine = tmp_path / "catalog.md"
    mine.write_text("# my own notes\n")
    result = generate(tmp_path)
    assert result.returncode == 2
    assert "catalog.md" in result.stderr and "Traceback" not in result.stderr
    assert mine.read_text() == "# my own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.md"], "nothing is written when one page is refused"


def test_regenerates_its_own_pages_and_leaves_others(tmp_path):
    (tmp_path / "extra.md").write_text("kept\n")
    assert generate(tmp_path).returncode == 0
    (tmp_path / "support.md").write_text((tmp_path / "support.md").read_text() + "stale line\n")
    assert generate(tmp_path).returncode == 0
    assert "stale line" not in (tmp_path / "support.md").read_text()
    assert (tmp_path / "extra.md").read_text() == "kept\n"


def test_bad_environment_file_is_one_line_per_problem(tmp_path):
    config = yaml.safe_load((REPO / "Pulumi.lab.yaml").read_text())
    config["config"]["idp:global"]["support"] = [{"name": "Platform team", "scope": "everything"}]
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = generate(tmp_path / "out", bad, "bad")
    assert result.returncode == 2
    assert re.match(
        rf"^{re.escape(str(bad))}:\d+: idp:global.support\[0\].email: a support contact needs at least one of email, chat or url$",
        result.stderr.strip(),
    ), result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_support_contacts_are_optional():
    config = json.loads(json.dumps(LAB))
    del config["idp:global"]["support"]
    assert load_environment("lab", config, set()).config.global_.support == []
    config["idp:global"]["support"] = [{"name": "x", "scope": "y", "email": "not-an-address"}]
    with pytest.raises(ConfigError, match=r"idp:global.support\[0\].email"):
        load_environment("lab", config, set())
