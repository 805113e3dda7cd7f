"""Item 8: Harbor's chart (TLS ingress, externalURL, Longhorn, Trivy, admin password from a Secret)
and, after it is up, its API configuration: LDAP, library, proxy caches, mirrors, vulnerability gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.platform.harbor import MirroredImage, mirrored_images, replication_filters
from idpctl.runtime import contains_secret, is_secret_envelope, unwrap
from tests.platform.helpers import chart_registration, chart_values, lab_config, obj, of_type, one, render_platform, waits_for

PROJECT = "harbor:index/project:Project"
REPLICATION = "harbor:index/replication:Replication"
REGISTRY = "harbor:index/registry:Registry"


def test_ingress_tls_and_external_url_agree(lab):
    values = chart_values(lab, "harbor")
    assert values["externalURL"] == "https://harbor.lab.idp.internal"
    expose = values["expose"]
    assert expose["type"] == "ingress"
    assert expose["ingress"]["hosts"]["core"] == "harbor.lab.idp.internal"
    assert expose["ingress"]["className"] == "traefik"
    assert expose["tls"]["enabled"] is True and expose["tls"]["certSource"] == "secret"
    cert = obj(lab, "Certificate", expose["tls"]["secret"]["secretName"], "harbor")
    assert cert["spec"]["dnsNames"] == ["harbor.lab.idp.internal"]
    assert cert["spec"]["issuerRef"]["name"] == "platform-ca"


def test_persistence_on_longhorn_is_kept(lab):
    persistence = chart_values(lab, "harbor")["persistence"]
    assert persistence["enabled"] is True and persistence["resourcePolicy"] == "keep"
    claims = persistence["persistentVolumeClaim"]
    classes = {name: c["storageClass"] for name, c in claims.items() if name != "jobservice"}
    classes["jobLog"] = claims["jobservice"]["jobLog"]["storageClass"]
    assert set(classes) == {"registry", "database", "redis", "trivy", "jobLog"}
    assert set(classes.values()) == {"longhorn"}
    assert claims["registry"]["size"] == "200Gi"  # from Pulumi.lab.yaml


def test_admin_password_and_key_come_from_secrets_not_values(lab):
    values = chart_values(lab, "harbor")
    assert "harborAdminPassword" not in values and "secretKey" not in values
    assert values["existingSecretAdminPassword"] == "harbor-admin"
    admin = one(lab, "kubernetes:core/v1:Secret", "harbor-admin-secret")
    assert admin.inputs["metadata"]["name"] == "harbor-admin"
    assert is_secret_envelope(admin.inputs["stringData"])
    assert set(unwrap(admin.inputs["stringData"])) == {values["existingSecretAdminPasswordKey"]}
    key = unwrap(one(lab, "kubernetes:core/v1:Secret", "harbor-encryption-secret").inputs["stringData"])
    assert set(key) == {"secretKey"}
    assert one(lab, "random:index/randomPassword:RandomPassword", "harbor-secret-key").inputs["length"] == 16
    # Both exist before the chart starts.
    release = chart_registration(lab, "harbor")
    assert waits_for(lab, release, admin)


def test_trivy_is_on(lab):
    trivy = chart_values(lab, "harbor")["trivy"]
    assert trivy["enabled"] is True and trivy["resources"]["requests"]["memory"]


def test_api_configuration_runs_after_harbor_is_up(lab):
    release = chart_registration(lab, "harbor")
    api = [r for r in lab.resources if r.type.startswith("harbor:") and r.type != "harbor:index/robotAccount:RobotAccount"]
    assert len(api) >= 10
    for reg in api:
        assert waits_for(lab, reg, release), reg.name
    provider = one(lab, "pulumi:providers:harbor", "harbor-api")
    assert provider.inputs["url"] == "https://harbor.lab.idp.internal"
    assert contains_secret(provider.inputs["password"])


def test_ldap_authentication(lab):
    auth = one(lab, "harbor:index/configAuth:ConfigAuth", "harbor-ldap").inputs
    assert auth["authMode"] == "ldap_auth"
    assert auth["ldapUrl"] == "ldaps://dc01.lab.idp.internal:636"
    assert auth["ldapSearchDn"] == "CN=svc-harbor-ldap,OU=Service Accounts,DC=lab,DC=idp,DC=internal"
    assert is_secret_envelope(auth["ldapSearchPassword"])
    assert auth["ldapUid"] == "sAMAccountName"
    assert auth["ldapGroupAdminDn"] == "CN=HarborAdmin,OU=Groups,DC=lab,DC=idp,DC=internal"


def test_library_and_proxy_cache_projects_prevent_vulnerable_images(lab):
    projects = {r.inputs["name"]: r.inputs for r in of_type(lab, PROJECT) if r.name.startswith("harbor-project-")}
    assert set(projects) == {"library", "dockerhub", "ghcr", "quay", "cgr"}
    for name, project in projects.items():
        assert project["deploymentSecurity"] == "critical", name
        assert project["vulnerabilityScanning"] is True, name
        # only the mirror of pinned public images is readable without a credential
        assert project.get("public") is (name == "library"), name
    assert "registryId" not in projects["library"]
    registries = {r.inputs["name"]: r.inputs for r in of_type(lab, REGISTRY)}
    assert registries["docker.io"]["providerName"] == "docker-hub"
    assert registries["ghcr.io"]["endpointUrl"] == "https://ghcr.io"
    assert registries["cgr.dev"]["providerName"] == "docker-registry"
    for name in ("dockerhub", "ghcr", "quay", "cgr"):
        assert projects[name]["registryId"] == 7, f"{name} is a proxy cache"


def test_every_listed_image_is_mirrored_into_library(lab):
    rules = [r.inputs for r in of_type(lab, REPLICATION)]
    mirrored = set()
    for rule in rules:
        assert rule["action"] == "pull" and rule["destNamespace"] == "library" and rule["enabled"] is True
        assert len(rule["schedule"].split()) == 6
        filters = {k: v for f in rule["filters"] for k, v in f.items()}
        tags = filters["tag"].strip("{}").split(",")
        mirrored |= {(filters["name"], tag) for tag in tags}
    expected = {(image.repository, image.tag) for image in mirrored_images()}
    assert mirrored == expected
    names = {repo for repo, _ in expected}
    assert {"library/alpine", "library/golang", "library/httpd", "chainguard/nginx", "chainguard/python", "cloudnative-pg/postgresql"} <= names
    pg = {tag.split(".")[0] for repo, tag in expected if repo == "cloudnative-pg/postgresql"}
    assert pg == {"15", "16", "17"}


def test_several_tags_of_one_repository_become_one_rule():
    images = [MirroredImage.parse(f"ghcr.io/cloudnative-pg/postgresql:{v}") for v in ("15.13", "16.9")]
    assert replication_filters(images) == {("ghcr.io", "cloudnative-pg/postgresql"): "{15.13,16.9}"}


@pytest.mark.parametrize(
    "reference, message",
    [("docker.io/library/alpine", "not <registry>"), ("registry.example/x/y:1", "is not one of"), ("docker.io/a/b@sha256:00", "not <registry>")],
)
def test_mirror_list_entries_are_checked(reference, message):
    with pytest.raises(ValueError, match=message):
        MirroredImage.parse(reference)


def test_credentials_for_the_projects_stack_are_exported_as_secrets(lab):
    exports = lab.exports
    assert exports["harborUrl"] == "https://harbor.lab.idp.internal"
    assert exports["harborUsername"] == "admin"
    assert is_secret_envelope(exports["harborPassword"])


def test_disabled_harbor_declares_nothing_and_exports_nothing():
    config = lab_config()
    config["idp:platform"]["harbor"]["enabled"] = False
    config["idp:platform"]["portal"]["enabled"] = False  # its image comes from Harbor
    config["idp:platform"]["artifacts"] = {"enabled": False}  # they live in Harbor
    result = render_platform(config)
    assert not [r for r in result.resources if r.type.startswith("harbor:") or "harbor" in r.name]
    assert "harborUrl" not in result.exports and "harbor" not in result.exports["urls"]


def test_first_run_can_skip_the_api_phase():
    config = lab_config()
    config["idp:platform"]["harbor"]["configureApi"] = False
    result = render_platform(config)
    assert not [r for r in result.resources if r.type.startswith("harbor:")]
    assert chart_registration(result, "harbor")


def test_mirror_list_matches_its_schema():
    import json

    import jsonschema
    import yaml as _yaml

    root = Path(__file__).resolve().parents[2] / "platform"
    text = (root / "images.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=./images.schema.json")
    schema = json.loads((root / "images.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(_yaml.safe_load(text))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"images": ["registry.example/x:1"]})
