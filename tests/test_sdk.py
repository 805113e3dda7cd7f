"""The SDK behaviour `stacks/sdk.py` relies on, checked against the real Pulumi SDK.

If an SDK upgrade changes how secret inputs reach mock providers or how secret config keys are
reported, these tests fail here, before any render silently stops masking a secret.
"""

from __future__ import annotations

import asyncio

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from stacks.sdk import is_secret_envelope, secret_config_keys, secret_envelope


class CapturingMocks(pulumi.runtime.Mocks):
    """Keeps the inputs each resource reached the mocks with."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.inputs[args.name] = args.inputs
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def event_loop_for_sdk():
    """The SDK's `pulumi.runtime.test` runs on the thread's current event loop; give it a fresh one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()


def test_secret_inputs_reach_mocks_in_the_envelope_the_adapter_recognises(event_loop_for_sdk):
    mocks = CapturingMocks()
    # The SDK's own mock monitor and request path, not the render's.
    pulumi.runtime.set_mocks(mocks, project="sdk-check", stack="sdk-check", preview=False)

    @pulumi.runtime.test
    def program():
        thing = pulumi.CustomResource(
            "test:index:Thing",
            "thing",
            {"password": pulumi.Output.secret("s3cr3t"), "nested": {"token": pulumi.Output.secret("t")}, "plain": "x"},
        )
        return thing.urn

    program()
    inputs = mocks.inputs["thing"]
    assert is_secret_envelope(inputs["password"])
    assert inputs["password"] == secret_envelope("s3cr3t")
    # A secret inside a map makes the whole map secret, with the plain values inside.
    assert inputs["nested"] == secret_envelope({"token": "t"})
    assert not is_secret_envelope(inputs["plain"])
    assert not is_secret_envelope({"value": "s3cr3t"})


def test_secret_config_keys_are_those_set_secret_plus_the_engines(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", '["idp:fromEngine"]')
    runtime_config.set_all_config({"idp:plain": "1", "idp:password": "[secret]"}, ["idp:password"])
    try:
        assert secret_config_keys(["idp:plain", "idp:password"]) == {"idp:password", "idp:fromEngine"}
    finally:
        runtime_config.set_all_config({}, [])
    assert secret_config_keys(["idp:plain", "idp:password"]) == {"idp:fromEngine"}
