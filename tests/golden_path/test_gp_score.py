"""Score translation details beyond the example: the older list form of volumes, literal route
hosts, external images, and probes pointing at container ports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components.golden_path import render
from components.golden_path.source import SpecError
from components.golden_path.values import to_values

WORKLOAD = """\
apiVersion: score.dev/v1b1
metadata:
  name: api
  annotations: {idp.platform/team: web, idp.platform/project: webshop}
containers:
  main:
    image: registry.example.com:5000/vendor/api:1.2.3
    volumes:
      - source: cache
        target: /var/cache/api
    livenessProbe:
      httpGet: {path: /live, port: 9000}
service:
  ports:
    web: {port: 443, targetPort: 9000}
resources:
  cache: {type: volume, params: {size: 3Gi}}
  route: {type: route, params: {host: api.apps.lab.idp.internal, path: /v1, port: 443}}
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "score.yaml"
    path.write_text(text)
    return render.load_spec(path)


def test_older_list_volumes_literal_route_and_external_image(tmp_path: Path) -> None:
    kind, _, spec = _load(tmp_path, WORKLOAD)
    assert kind == "score"
    values = to_values(spec, "production")
    assert values["image"] == {"repository": "vendor/api", "registry": "registry.example.com:5000"}
    assert "imagePullSecrets" not in values, "external registries bring their own pull secret"
    assert values["persistence"]["cache"]["mountPath"] == "/var/cache/api"
    assert values["persistence"]["cache"]["size"] == "3Gi"
    assert values["ingress"] == {"enabled": True, "kind": "Ingress", "host": "api.apps.lab.idp.internal",
                                 "path": "/v1", "port": "web", "tls": {"enabled": True}}
    assert values["probes"]["liveness"]["port"] == "web" and values["probes"]["liveness"]["path"] == "/live"


def test_probe_on_an_undeclared_port_is_located(tmp_path: Path) -> None:
    text = WORKLOAD.replace("port: 9000}", "port: 9999}")
    with pytest.raises(SpecError) as info:
        _load(tmp_path, text)
    assert info.value.lines == [
        f"{tmp_path / 'score.yaml'}:12: containers.main.livenessProbe.httpGet.port: "
        "port 9999 is not a service port (declare it under service.ports)"
    ]


def test_volume_source_must_be_a_volume_resource(tmp_path: Path) -> None:
    text = WORKLOAD.replace("- source: cache", "- source: ${resources.route}")
    with pytest.raises(SpecError) as info:
        _load(tmp_path, text)
    assert any("containers.main.volumes[0].source: must name a volume resource" in line for line in info.value.lines)
