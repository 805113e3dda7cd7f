"""Every image the base chart or a data-plane operator would run in a project namespace is in Harbor's
mirror list (platform/images.yaml): project namespaces admit only images from the platform Harbor."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.platform.cloudnative_pg import IMAGES as CNPG_IMAGES
from components.platform.harbor import mirrored_images
from components.platform.rabbitmq_operator import DEFAULT_RABBITMQ_IMAGE, RabbitMqOperatorArgs
from tests.platform.helpers import RELEASE, APPLICATION, mask

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "platform-app"


def normalize(reference: str) -> str:
    """`rabbitmq:4.2.6` -> `docker.io/library/rabbitmq:4.2.6`, as a container runtime resolves it."""
    first, _, rest = reference.partition("/")
    if not rest:
        return f"docker.io/library/{reference}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{reference}"
    return reference


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


def test_rendered_operator_images_are_the_mirrored_ones(lab):
    """The lab's operator and plugin values name exactly the images the mirror list carries."""
    by_name = {r.name: r for r in lab.resources if r.type in (RELEASE, APPLICATION)}
    values = lambda name: mask(by_name[name].inputs)["spec"]["source"]["helm"]["valuesObject"]  # noqa: E731
    operator = values("cloudnative-pg-chart-application")["image"]
    plugin = values("cloudnative-pg-plugin-chart-application")
    rendered = {
        "operator": f"{operator['repository']}:{operator['tag']}",
        "plugin": f"{plugin['image']['registry']}/{plugin['image']['repository']}:{plugin['image']['tag']}",
        "sidecar": f"{plugin['sidecarImage']['registry']}/{plugin['sidecarImage']['repository']}:{plugin['sidecarImage']['tag']}",
    }
    assert unmirrored(rendered) == []


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
