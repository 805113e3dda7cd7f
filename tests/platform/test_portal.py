"""The developer portal service: a static site from the platform Harbor behind Traefik with TLS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from components.platform import portal
from components.platform.harbor import MirroredImage
from idpctl.render_cmd import kubernetes_objects
from stacks.loading import ConfigError, load_environment
from tests.platform.helpers import children, lab_config, obj, render_platform, waits_for


@pytest.fixture(scope="module")
def lab():
    return render_platform(lab_config())


def test_served_from_harbor_behind_traefik_with_a_platform_ca_certificate(lab):
    deployment = obj(lab, "Deployment", "portal", "portal")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "harbor.lab.idp.internal/platform/portal:0.1.0"
    ingress = obj(lab, "Ingress", "portal", "portal")
    assert ingress["spec"]["ingressClassName"] == "traefik"
    assert ingress["spec"]["tls"] == [{"hosts": ["portal.lab.idp.internal"], "secretName": "portal-tls"}]
    assert ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = obj(lab, "Service", "portal", "portal")
    assert backend["name"] == service["metadata"]["name"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    certificate = obj(lab, "Certificate", "portal-tls", "portal")
    assert certificate["spec"]["issuerRef"]["name"] == "platform-ca"
    assert certificate["spec"]["dnsNames"] == ["portal.lab.idp.internal"]
    assert lab.exports["urls"]["portal"] == "https://portal.lab.idp.internal/"


def test_runs_restricted_with_limits(lab):
    pod = obj(lab, "Deployment", "portal", "portal")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounted and "/var/cache/nginx" in mounted
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (101, 101), "nginx-unprivileged's user"
    assert obj(lab, "Namespace", "portal")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_waits_for_harbor_and_the_issuer(lab):
    portal = next(r for r in lab.resources if r.type == "idp:platform:Portal")
    for needed in ("idp:platform:Harbor", "idp:platform:CertManager", "idp:platform:Traefik"):
        target = next(r for r in lab.resources if r.type == needed)
        # The SDK records a dependency on a component as dependencies on its children.
        assert target.urn in portal.depends_on or children(lab, target.urn) & set(portal.depends_on), needed
    ingress = next(r for r in lab.resources if r.name == "portal-ingress")
    certificate = next(r for r in lab.resources if r.name == "portal-certificate")
    assert waits_for(lab, ingress, certificate)


def test_disabled_portal_declares_nothing():
    config = lab_config()
    config["idp:platform"]["portal"]["enabled"] = False
    result = render_platform(config)
    assert not [r for r in result.resources if r.type == "idp:platform:Portal" or r.name.startswith("portal-")]
    assert "portal" not in result.exports["urls"]
    assert not [o for o in kubernetes_objects(result) if o["metadata"].get("namespace") == "portal"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"image": {"tag": "latest"}}, r"idp:platform.portal.image.tag: .*not latest"),
        ({"host": "not a host"}, r"idp:platform.portal.host"),
        ({"replicas": 0}, r"idp:platform.portal.replicas"),
    ],
)
def test_bad_settings_name_the_key(change, message):
    config = lab_config()
    config["idp:platform"]["portal"].update(change)
    with pytest.raises(ConfigError, match=message):
        load_environment("lab", config, set())


def test_needs_harbor():
    config = lab_config()
    config["idp:platform"]["harbor"]["enabled"] = False
    with pytest.raises(ConfigError, match=r"idp:platform.portal.enabled: needs platform.harbor.enabled"):
        load_environment("lab", config, set())


REPO = Path(__file__).resolve().parents[2]


def test_the_image_built_is_the_one_the_deployment_is_made_for(lab):
    """The Containerfile takes its base from the publish script (no unpinned default) and runs as the
    user the Deployment sets; the base is an exact tag Harbor mirrors."""
    containerfile = (REPO / "pipelines" / "platform" / "portal.Containerfile").read_text()
    instructions = [line for line in containerfile.splitlines() if line and not line.startswith("#")]
    assert "ARG BASE" in instructions and "FROM ${BASE}" in instructions, "BASE comes from publish-portal.sh, no default"
    pod = obj(lab, "Deployment", "portal", "portal")["spec"]["template"]["spec"]
    user = f"{int(pod['securityContext']['runAsUser'])}:{int(pod['securityContext']['runAsGroup'])}"
    assert f"USER {user}" in instructions
    assert f"EXPOSE {int(pod['containers'][0]['ports'][0]['containerPort'])}" in instructions
    listed = yaml.safe_load((REPO / "platform" / "images.yaml").read_text())["images"]
    bases = [ref for ref in listed if ref.startswith("docker.io/nginxinc/nginx-unprivileged:")]
    assert len(bases) == 1 and re.search(r":\d+\.\d+\.\d+", bases[0]), f"one exact nginx-unprivileged tag: {bases}"
    tag = bases[0].rsplit(":", 1)[1]
    assert portal.base_image("harbor.lab.idp.internal") == f"harbor.lab.idp.internal/library/nginx-unprivileged:{tag}"


@pytest.mark.parametrize("tags", [[], ["latest"], ["1.29.8-alpine", "1.29.7-alpine"]])
def test_a_base_image_not_pinned_once_in_the_mirror_list_is_refused(monkeypatch, tags):
    images = [MirroredImage(registry="docker.io", repository="nginxinc/nginx-unprivileged", tag=t) for t in tags]
    monkeypatch.setattr(portal, "mirrored_images", lambda: images)
    with pytest.raises(ValueError, match=r"images.yaml: the portal needs docker.io/nginxinc/nginx-unprivileged listed once at an exact tag"):
        portal.base_image("harbor.lab.idp.internal")
