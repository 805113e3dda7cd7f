"""The render's fast paths give exactly what the SDK's own mock path and PyYAML give.

`idpctl.runtime` answers mock requests inline on the event loop from one deserialization and
builds plain answers directly; `idpctl.render_cmd` writes manifests with libyaml. Each is
compared here with the slow path it replaces, on the real lab environment.
"""

from __future__ import annotations

import concurrent.futures
import gc
import json

import pulumi
import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from idpctl import runtime
from idpctl.render_cmd import kubernetes_objects, to_yaml, write_render
from idpctl.runtime import mask, run_layers
from stacks.sdk import secret_envelope
from tests.conftest import load_lab_config


class SdkPathMonitor(pulumi_mocks.MockMonitor):
    """The SDK's `MockMonitor` answering every request (on worker threads), recording beside it."""

    def __init__(self, mocks, project: str, stack: str):
        super().__init__(mocks)
        self.project, self.stack = project, stack
        self.registrations: list[runtime.Registration] = []
        self.stack_outputs: dict = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            type_ = parent.split("::")[2].split("$").pop() + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                runtime.Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    protect=bool(request.protect),
                    custom=bool(request.custom),
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    depends_on=list(request.dependencies),
                )
            )
        return response

    def RegisterResourceOutputs(self, request):
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


def _snapshot(results: dict) -> dict:
    """Everything a render reports, independent of registration order."""
    return {
        layer: {
            "resources": sorted(
                (json.dumps(r.masked(), sort_keys=True, default=str), r.custom, tuple(sorted(r.depends_on)))
                for r in result.resources
            ),
            "exports": json.dumps(mask(result.exports), sort_keys=True, default=str),
            "calls": sorted(json.dumps([t, mask(a)], sort_keys=True, default=str) for t, a in result.calls),
        }
        for layer, result in results.items()
    }


def test_inline_monitor_records_what_the_sdk_mock_monitor_records(lab_config, monkeypatch):
    layers = ["vms", "cluster", "platform", "projects"]
    fast, _ = run_layers(layers, "lab", lab_config)
    monkeypatch.setattr(runtime, "RecordingMonitor", SdkPathMonitor)
    monkeypatch.setattr(runtime, "_InlineExecutor", concurrent.futures.ThreadPoolExecutor)
    slow, _ = run_layers(layers, "lab", lab_config)
    assert all(slow[layer].resources for layer in layers)
    assert _snapshot(fast) == _snapshot(slow)


def _lab() -> dict:
    return load_lab_config()


def _sdk_serialize(state: dict):
    return runtime._resolved(rpc.serialize_properties(state, {}))


def test_plain_answers_are_the_structs_the_sdk_serializer_builds(render):
    states = [reg.inputs for reg in render(_lab(), "platform")["platform"].resources]
    states += [
        {"a": None, "b": {"c": None, "d": [None, 1, 2.5, True, "x"]}, "e": [], "f": {}},
        {"password": secret_envelope("s3cr3t"), "count": 3, "ratio": 0.5},
        {},
    ]
    assert all(runtime._is_plain(state) for state in states)
    for state in states:
        assert runtime._serialize(state) == _sdk_serialize(state)


def test_unknown_inputs_are_recorded_and_reach_the_mocks_as_the_sdk_passes_them():
    struct = struct_pb2.Struct()
    struct.update({"known": "x", "later": rpc.UNKNOWN, "list": ["a", rpc.UNKNOWN]})
    recorded, inputs = runtime.RecordingMonitor._inputs(struct)
    assert isinstance(recorded["later"], Unknown) and isinstance(recorded["list"][1], Unknown)
    assert inputs == rpc.deserialize_properties(struct) == {"known": "x", "list": ["a", None]}


def test_answers_that_are_not_plain_data_go_through_the_sdk_serializer():
    state = {"id": Unknown(), "items": ("a", "b")}
    assert not runtime._is_plain(state)
    assert runtime._serialize(state) == _sdk_serialize(state)
    assert runtime._serialize(state)["id"] == rpc.UNKNOWN


@pytest.mark.parametrize("reclaim", [True, False])
def test_collection_is_switched_back_on_after_a_render(lab_config, reclaim):
    assert gc.isenabled()
    config, secret_keys, _ = runtime.config_for_run(lab_config)
    runtime.run_layer("vms", "lab", config, secret_keys, reclaim=reclaim)
    assert gc.isenabled()
    gc.unfreeze()


def test_collection_is_switched_back_on_when_the_program_fails(lab_config):
    config, secret_keys, _ = runtime.config_for_run(lab_config)
    with pytest.raises(pulumi.RunError, match="missing output"):
        runtime.run_layer("platform", "lab", config, secret_keys)  # no upstream stacks: fails fast
    assert gc.isenabled()


def test_manifests_are_byte_identical_to_pyyaml_output(render):
    results = render(_lab(), "platform", "projects")
    objects = kubernetes_objects(results["platform"]) + kubernetes_objects(results["projects"])
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "escapes", "annotations": {"note": "café ☕ " * 12}},
            "data": {"config.json": json.dumps({"k": "v " * 40, "list": list(range(30))}, indent=2), "tab": "a\tb"},
        }
    )
    assert len(objects) > 50
    for obj in objects:
        assert to_yaml(obj) == yaml.safe_dump(obj, sort_keys=False)
        assert yaml.safe_load(to_yaml(obj)) == obj


def test_two_renders_of_the_same_file_write_the_same_bytes(lab_config, tmp_path):
    for name in ("a", "b"):
        results, _ = run_layers(["cluster"], "lab", lab_config)
        write_render(tmp_path / name, results)
    for path in sorted((tmp_path / "a").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes(), path
