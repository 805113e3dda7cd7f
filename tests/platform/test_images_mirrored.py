"""Every image the base chart or a data-plane operator would run in a project namespace is in Harbor's
mirror list (platform/images.yaml): project namespaces admit only images from the platform Harbor."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.platform.cloudnative_pg import IMAGES as CNPG_IMAGES
from components.platform.harbor import harbor_reference, mirrored_images, normalize_reference
from components.platform.rabbitmq_operator import DEFAULT_RABBITMQ_IMAGE, RabbitMqOperatorArgs
from tests.platform.helpers import RELEASE, APPLICATION, mask

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "platform-app"


normalize = normalize_reference


def mirror() -> set[str]:
    return {f"{i.registry}/{i.repository}:{i.tag}" for i in mirrored_images()}


def chart_images(values: dict) -> dict[str, str]:
    """Images the base chart runs besides the app's own: the database and the broker."""
    found = {}
    if (values.get("database") or {}).get("imageName"):
        found["database.imageName"] = values["database"]["imageName"]
    if (values.get("rabbitmq") or {}).get("image"):
        found["rabbitmq.image"] = values["rabbitmq"]["image"]
    return found


def unmirrored(images: dict[str, str]) -> list[str]:
    mirrored = mirror()
    return [f"{where}: {image}" for where, image in sorted(images.items()) if normalize(image) not in mirrored]


VALUES_FILES = [CHART / "values.yaml", *sorted((CHART / "ci").glob("*-values.yaml"))]


@pytest.mark.parametrize("path", VALUES_FILES, ids=lambda p: p.name)
def test_base_chart_images_are_mirrored(path):
    values = yaml.safe_load(path.read_text()) or {}
    assert unmirrored(chart_images(values)) == []


def test_base_chart_defaults_name_a_database_and_a_broker_image():
    """So the check above checks something: the defaults carry both images."""
    assert set(chart_images(yaml.safe_load((CHART / "values.yaml").read_text()))) == {"database.imageName", "rabbitmq.image"}


def test_operator_images_are_mirrored():
    images = {f"cloudnative-pg[{i}]": image for i, image in enumerate(CNPG_IMAGES)}
    images["rabbitmq-operator"] = RabbitMqOperatorArgs().operator_image
    images["rabbitmq default broker"] = DEFAULT_RABBITMQ_IMAGE
    assert unmirrored(images) == []


def _lab_cnpg_values(lab) -> tuple[dict, dict]:
    by_name = {r.name: r for r in lab.resources if r.type in (RELEASE, APPLICATION)}
    values = lambda name: mask(by_name[name].inputs)["spec"]["source"]["helm"]["valuesObject"]  # noqa: E731
    return values("cloudnative-pg-chart-application"), values("cloudnative-pg-plugin-chart-application")


def test_rendered_operator_images_are_the_mirrored_ones(lab):
    """The lab's operator and plugin run upstream images Harbor mirrors (no wait for the mirror on
    the first install); what they put into database pods is the Harbor copy of a mirrored image."""
    operator, plugin = _lab_cnpg_values(lab)
    rendered = {
        "operator": f"{operator['image']['repository']}:{operator['image']['tag']}",
        "plugin": f"{plugin['image']['registry']}/{plugin['image']['repository']}:{plugin['image']['tag']}",
    }
    assert unmirrored(rendered) == []
    sidecar = plugin["sidecarImage"]
    in_pods = {
        "bootstrap-controller": operator["config"]["data"]["OPERATOR_IMAGE_NAME"],
        "plugin-barman-cloud": f"{sidecar['registry']}/{sidecar['repository']}:{sidecar['tag']}",
    }
    harbor = {harbor_reference(i, "harbor.lab.idp.internal") for i in mirrored_images()}
    assert {k: v for k, v in in_pods.items() if v not in harbor} == {}


def test_project_image_registry_moves_only_what_database_pods_run():
    from components.platform.cloudnative_pg import CloudNativePgArgs, bootstrap_image, operator_values, plugin_values

    args = CloudNativePgArgs(project_image_registry="harbor.example.test/library")
    assert operator_values(args)["image"]["repository"] == "ghcr.io/cloudnative-pg/cloudnative-pg"
    assert operator_values(args)["config"]["data"]["OPERATOR_IMAGE_NAME"] == "harbor.example.test/library/cloudnative-pg:1.30.0"
    assert bootstrap_image(args) == "harbor.example.test/library/cloudnative-pg:1.30.0"
    assert plugin_values(args)["image"]["registry"] == "ghcr.io"
    assert plugin_values(args)["sidecarImage"]["registry"] == "harbor.example.test"
    # Without either setting the operator injects its own image: no ConfigMap override.
    assert "config" not in operator_values(CloudNativePgArgs())


def test_an_unmirrored_image_is_reported():
    values = {"database": {"imageName": "ghcr.io/cloudnative-pg/postgresql:18.0-standard-trixie"}, "rabbitmq": {"image": "rabbitmq:9.9.9"}}
    assert unmirrored(chart_images(values)) == [
        "database.imageName: ghcr.io/cloudnative-pg/postgresql:18.0-standard-trixie",
        "rabbitmq.image: rabbitmq:9.9.9",
    ]


def test_harbor_mirror_registry_setting_points_operators_at_harbor():
    """With `imageRegistry` set, the operator, plugin and sidecar come from the Harbor mirror path."""
    from components.platform.cloudnative_pg import CloudNativePgArgs, operator_values, plugin_values

    args = CloudNativePgArgs(image_registry="harbor.lab.idp.internal/library")
    assert operator_values(args)["image"] == {"repository": "harbor.lab.idp.internal/library/cloudnative-pg", "tag": "1.30.0"}
    sidecar = plugin_values(args)["sidecarImage"]
    assert sidecar == {"registry": "harbor.lab.idp.internal", "repository": "library/plugin-barman-cloud-sidecar", "tag": "v0.13.0"}
