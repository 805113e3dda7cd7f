"""Run a layer program under the Pulumi SDK's mock runtime and record what it declares.

This is the real program (`stacks/<layer>.py`) on the real SDK runtime; only the providers are
replaced by `FakeProviders`, which answer with fixed values per type token. Upstream stack
references are answered with the exports of the upstream layers rendered just before, so the
layers are exercised in the order the runners apply them. Nothing here needs credentials or a
network, and no secure config value is ever decrypted.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import gc
import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from google.protobuf import struct_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.stack import run_in_stack

from stacks.config import LAYERS, NAMESPACE, SECRET_KEYS
from stacks.sdk import is_secret_envelope

SECRET = "[secret]"
UNKNOWN = "[unknown]"
PROJECT = "idp"


def mask(value: Any) -> Any:
    """Replace every value the program marked secret by "[secret]" (and unknowns by "[unknown]")."""
    if is_secret_envelope(value):
        return SECRET
    if value is rpc.UNKNOWN or (isinstance(value, str) and value == rpc.UNKNOWN):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value


def unwrap(value: Any) -> Any:
    """The plain value inside secret envelopes (kept in memory only, to feed downstream layers)."""
    if is_secret_envelope(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unwrap(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if is_secret_envelope(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_secret(v) for v in value)
    return False


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    protect: bool
    custom: bool
    inputs: dict
    depends_on: list[str] = field(default_factory=list)

    def masked(self) -> dict:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "protect": self.protect,
            "inputs": mask(self.inputs),
        }


@dataclass
class LayerResult:
    layer: str
    stack: str
    resources: list[Registration]
    exports: dict  # raw, secrets still wrapped
    calls: list[tuple[str, dict]]

    def masked_exports(self) -> dict:
        return mask(self.exports)

    def secret_export_names(self) -> list[str]:
        return sorted(k for k, v in self.exports.items() if contains_secret(v))


class FakeProviders(pulumi_mocks.Mocks):
    """Fixed answers per type token, so the program's data flow can be followed without clouds."""

    def __init__(self, upstream: dict[str, LayerResult]):
        self.upstream = upstream
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args)
        state = dict(args.inputs)
        state.update(FAKE_STATE.get(args.typ, lambda a: {})(args))
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs):
        self.calls.append((args.token, args.args))
        if args.token == "pulumi:pulumi:readStackOutputs":
            return self._read_stack_outputs(args)
        answer = FAKE_CALLS.get(args.token)
        return answer(args) if answer else {"id": f"{args.token.rsplit(':', 1)[-1]}-id"}

    def _read_stack_outputs(self, args):
        """The engine's built-in read of another stack's outputs; an unknown stack is an error."""
        full = str(args.args.get("name"))
        result = self.upstream.get(full.rsplit("-", 1)[-1])
        if result is None:  # as the engine answers: a failed invoke the program may catch
            return {}, [("name", f'unknown stack "{full}"')]
        return {"name": full, "outputs": unwrap(result.exports), "secretOutputNames": result.secret_export_names()}

    def _stack_reference(self, args):
        full = args.inputs.get("name") or args.name
        layer = str(full).rsplit("-", 1)[-1]
        result = self.upstream.get(layer)
        if result is None:
            return f"{full}", {"name": full, "outputs": {}, "secretOutputNames": []}
        return f"{full}", {
            "name": full,
            "outputs": unwrap(result.exports),
            "secretOutputNames": result.secret_export_names(),
        }


_CLIENT_CONFIGURATION = {
    "ca_certificate": "mock-talos-ca",
    "client_certificate": "mock-talos-client-certificate",
    "client_key": "mock-talos-client-key",
}

MOCK_ROOT_CA = "-----BEGIN CERTIFICATE-----\nbW9jay1wbGF0Zm9ybS1yb290LWNh\n-----END CERTIFICATE-----\n"
"""What the render exports as the root CA: PEM-shaped, never a usable certificate."""
MOCK_ROOT_CA_B64 = base64.b64encode(MOCK_ROOT_CA.encode()).decode()

FAKE_STATE: dict[str, Callable[[Any], dict[str, Any]]] = {
    "talos:machine/secrets:Secrets": lambda a: {
        "machineSecrets": {"cluster": {"id": "mock-cluster-id", "secret": "mock-cluster-secret"}},
        "clientConfiguration": _CLIENT_CONFIGURATION,
    },
    "talos:cluster/kubeconfig:Kubeconfig": lambda a: {
        "kubeconfigRaw": "apiVersion: v1\nkind: Config\nclusters: []\n",
        "kubernetesClientConfiguration": {"host": "https://mock:6443"},
    },
    # The cosign key pair: a fixed PEM shape, so the Kyverno policy that embeds the public key renders.
    "tls:index/privateKey:PrivateKey": lambda a: {
        "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nmock-cosign-public-key\n-----END PUBLIC KEY-----\n",
        "privateKeyPem": "-----BEGIN EC PRIVATE KEY-----\nmock\n-----END EC PRIVATE KEY-----\n",
    },
    # Harbor names a project robot `robot$<project>+<name>` and generates its secret.
    "harbor:index/robotAccount:RobotAccount": lambda a: {
        "fullName": f"robot${(a.inputs.get('permissions') or [{}])[0].get('namespace')}+{a.inputs.get('name')}",
        "secret": "mock-robot-secret",
        "robotId": "1",
    },
    "harbor:index/project:Project": lambda a: {"projectId": "1"},
    # Upstream registries get ids from Harbor; proxy-cache projects and replications reference them.
    "harbor:index/registry:Registry": lambda a: {"registryId": 7},
    # Generated passwords: a fixed value and its bcrypt shape (Traefik's basic-auth users line).
    "random:index/randomPassword:RandomPassword": lambda a: {
        "result": "mock-random-password",
        "bcryptHash": "$2a$10$mockmockmockmockmockmuMOCKMOCKMOCKMOCKMOCKMOCKMOCKMOC",
    },
    # Reading back the root CA Secret cert-manager wrote (`Secret.get`, so a resource id is set).
    "kubernetes:core/v1:Secret": lambda a: {"data": {"ca.crt": MOCK_ROOT_CA_B64, "tls.crt": MOCK_ROOT_CA_B64}}
    if a.resource_id
    else {},
    # Vault generates the Transit key; its `keys` list carries each version's public key.
    "vault:transit/secretBackendKey:SecretBackendKey": lambda a: {
        "keys": [{"public_key": "-----BEGIN PUBLIC KEY-----\nmock-cosign-public-key\n-----END PUBLIC KEY-----\n", "name": "P-256"}],
        "latestVersion": 1,
    },
    # Vault issues the token (the platform's scoped token for the projects stack).
    "vault:index/token:Token": lambda a: {"clientToken": "mock-vault-token"},
}

FAKE_CALLS = {
    "talos:machine/getConfiguration:getConfiguration": lambda a: {
        "machineConfiguration": f"# mock {a.args.get('machineType')} configuration of {a.args.get('clusterName')}\n",
        **{k: a.args.get(k) for k in ("clusterName", "clusterEndpoint", "machineType")},
    },
    "talos:client/getConfiguration:getConfiguration": lambda a: {"talosConfig": "context: mock\n", "id": "talosconfig"},
    "vsphere:index/getVirtualMachine:getVirtualMachine": lambda a: {
        "id": "42000000-0000-0000-0000-00000000talos",
        "guestId": "other5xLinux64Guest",
        "firmware": "efi",
        "scsiType": "pvscsi",
        "networkInterfaceTypes": ["vmxnet3"],
    },
    "vsphere:index/getComputeCluster:getComputeCluster": lambda a: {"id": "domain-c1", "resourcePoolId": "resgroup-1"},
}


def _resolved(awaitable: Any) -> Any:
    """The result of a coroutine that never waits, such as serializing plain data.

    The mock monitor answers on the event loop's own thread (see `_InlineExecutor`), where
    blocking on the loop is impossible; what it serializes is plain data the mocks returned, so
    the SDK's serializer completes in one step. Anything that would wait is a bug, said loudly.
    """
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    awaitable.close()
    raise RuntimeError("mock provider state must be plain data, not outputs or awaitables")


_PLAIN = frozenset({str, bool, int, float, type(None)})


def _is_plain(value: Any) -> bool:
    """Only dicts with string keys, lists, strings, numbers, booleans and None, all the way down."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind not in _PLAIN:
            return False
    return True


def _serialize(state: dict) -> struct_pb2.Struct:
    """The mock's answer as the SDK's `serialize_properties` gives it.

    For plain data (what the mocks return nearly always, secret envelopes included) that is the
    data itself with top-level None properties left out, which is built here directly; anything
    else (resources, assets, unknowns) goes through the SDK's serializer.
    """
    if _is_plain(state):
        struct = struct_pb2.Struct()
        for key, value in state.items():
            if value is not None:
                struct[key] = value
        return struct
    return _resolved(rpc.serialize_properties(state, {}))


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping parent, protect and raw (still secret-wrapped) inputs.

    It answers exactly as `MockMonitor` does and calls the same `Mocks` methods with the same
    arguments, with two differences that only save time: each request is deserialized once
    (the recording and the mocks share it), and the answer is serialized without pumping the
    event loop, so the monitor can run inline on the loop's thread.
    """

    def __init__(self, mocks: FakeProviders, project: str, stack: str):
        super().__init__(mocks)
        self.project, self.stack = project, stack
        self.registrations: list[Registration] = []
        self.stack_outputs: dict = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The SDK's version reads project and stack from context variables; use the values this
        # run was started with, whichever thread or context the request arrives on.
        if parent:
            type_ = parent.split("::")[2].split("$").pop() + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    @staticmethod
    def _inputs(struct: Any) -> tuple[dict, dict]:
        """(recorded inputs with unknowns kept, the inputs `MockMonitor` passes to the mocks).

        The two differ only where a value is unknown, which a render without a preview never
        sends; only then is the request deserialized a second time, exactly as the SDK does.
        """
        recorded = rpc.deserialize_properties(struct, keep_unknowns=True)
        if not rpc.struct_contains_unknowns(struct):
            return recorded, recorded
        return recorded, rpc.deserialize_properties(struct)

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        recorded, inputs = self._inputs(request.object)
        self.registrations.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                protect=bool(request.protect),
                custom=bool(request.custom),
                inputs=recorded,
                depends_on=list(request.dependencies),
            )
        )
        args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.mocks.new_resource(args)
        obj_proto = _serialize(state)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)

    def ReadResource(self, request):
        _, state = self._inputs(request.properties)
        args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=state,
            provider=request.provider,
            resource_id=request.id,
        )
        id_, state = self.mocks.new_resource(args)
        props_proto = _serialize(state)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=props_proto)

    def Invoke(self, request):
        args = rpc.deserialize_properties(request.args)
        if request.tok == "pulumi:pulumi:getResource":
            registered = self.resources.get(args["urn"])
            if registered is None:
                raise Exception(f"unknown resource {args['urn']}")
            return resource_pb2.ResourceInvokeResponse(failures=None, **{"return": _serialize(registered._asdict())})
        answer = self.mocks.call(pulumi_mocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        if isinstance(answer, dict):
            ret, failures = answer, None
        else:
            ret, failures = answer[0], [provider_pb2.CheckFailure(property=p, reason=r) for p, r in answer[1]]
        return resource_pb2.ResourceInvokeResponse(failures=failures, **{"return": _serialize(ret)})

    def RegisterResourceOutputs(self, request):
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """The event loop's default executor for a render: runs each job at once, on the loop's thread.

    The SDK hands every monitor request to the loop's default executor. Our monitor never blocks
    and never waits on the loop, so a thread hop buys nothing but a context switch per resource.
    """

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task, as a worker thread would
            future.set_exception(exc)
        return future


@contextmanager
def deferred_gc(reclaim: bool = True) -> Iterator[None]:
    """No cyclic garbage collection while a layer registers its resources.

    The SDK allocates a few hundred tracked objects per resource (Outputs, futures, protobuf
    messages), nearly all alive until the layer ends; left on, the collector rescans the growing
    heap again and again and takes about half the wall time of a render. Reference counting
    still frees everything that is not in a cycle.

    Afterwards, `reclaim=True` collects the run's cyclic garbage in one pass over what the run
    allocated (for long-lived processes such as the test suite); `reclaim=False` freezes
    it instead, so no later collection scans it, for a process that ends after the render.
    Collection is switched back on as it was either way.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if reclaim:
            gc.collect(0)
        else:
            gc.freeze()
        if was_enabled:
            gc.enable()


def config_for_run(file_config: dict[str, Any]) -> tuple[dict[str, str], list[str], list[str]]:
    """Engine-shaped config (strings, objects as JSON) from a parsed environment file.

    `secure:` values are never decrypted: they become "[secret]" and are flagged secret. Secret
    keys the file does not set get the same placeholder, and are reported back as missing.
    """
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in file_config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = SECRET
            secret_keys.append(key)
        else:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    missing = []
    for key in SECRET_KEYS:
        full = f"{NAMESPACE}:{key}"
        if full not in values:
            missing.append(full)
            values[full] = SECRET
            secret_keys.append(full)
    return values, secret_keys, missing


def run_layer(
    layer: str,
    env: str,
    config: dict[str, str],
    secret_keys: list[str],
    upstream: dict[str, LayerResult] | None = None,
    reclaim: bool = True,
) -> LayerResult:
    """Run `stacks/<layer>.py` for `<env>-<layer>` under mocks; raise what the program raises.

    `reclaim=False` leaves the run's cyclic garbage frozen instead of collecting it (see
    `deferred_gc`): for a process that exits after the render, such as `idpctl render`.
    """
    stack = f"{env}-{layer}"
    mocks = FakeProviders(upstream or {})
    monitor = RecordingMonitor(mocks, PROJECT, stack)
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    settings.configure(
        pulumi_mocks.MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=pulumi_mocks.MockEngine(None),
            project=PROJECT,
            stack=stack,
            dry_run=False,
            organization="organization",
        )
    )
    settings.set_root_resource(None)  # type: ignore[arg-type]
    runtime_config.set_all_config(dict(config), list(secret_keys))
    module = importlib.import_module(f"stacks.{layer}")
    with deferred_gc(reclaim):
        loop = asyncio.new_event_loop()
        loop.set_default_executor(_InlineExecutor(max_workers=1))
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(run_in_stack(lambda: module.main(env)))
        finally:
            settings.set_root_resource(None)  # type: ignore[arg-type]
            loop.close()
    return LayerResult(layer, stack, monitor.registrations, monitor.stack_outputs, mocks.calls)


def run_layers(
    layers: list[str], env: str, file_config: dict[str, Any], reclaim: bool = True
) -> tuple[dict[str, LayerResult], list[str]]:
    """Run the given layers and every layer before them, in runner order."""
    config, secret_keys, missing = config_for_run(file_config)
    last = max(LAYERS.index(layer) for layer in layers)
    results: dict[str, LayerResult] = {}
    for layer in LAYERS[: last + 1]:
        results[layer] = run_layer(layer, env, config, secret_keys, upstream=results, reclaim=reclaim)
    return {k: v for k, v in results.items() if k in layers}, missing
