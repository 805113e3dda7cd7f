"""Vault initialisation and unsealing as a Pulumi dynamic resource, idempotent by construction.

The Vault chart starts three Raft pods that are uninitialised and sealed; nothing in the chart runs
`vault operator init` or unseals them (Shamir seal, no auto-unseal device on-prem). `VaultInit`
does both, reconciling the observed state on every `pulumi up`:

1. read `sys/seal-status` of every pod;
2. if no pod reports `initialized`, initialise once through the first pod (5 key shares,
   threshold 3 by default) and keep the unseal keys and root token as secret outputs;
3. unseal exactly the pods that report `sealed`, with as many keys as the threshold requires.

`diff` runs the same read-only plan: when every pod is initialised and unsealed the resource has no
changes and `pulumi up` does nothing; after a node failure the restarted pod reports `sealed`, so
`diff` reports a change and `update` unseals that pod only. Keys never leave Pulumi state (encrypted
as secrets) unless the platform config asks for a Kubernetes Secret copy (see
docs/adr/0003-vault-unseal-keys.md).

The pods are reached through the Kubernetes API server's pod proxy
(`/api/v1/namespaces/<ns>/pods/<pod>:8200/proxy/v1/sys/...`) with the cluster stack's kubeconfig, so
the runner needs no route to pod IPs and no port-forward. The pure logic (`plan`, `reconcile`) takes
any `VaultApi`; `KubeProxyVaultApi` is the HTTP client. Tests drive both against an in-process fake
of the three Vault endpoints.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import pulumi
import yaml
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

DEFAULT_SHARES = 5
DEFAULT_THRESHOLD = 3
VAULT_PORT = 8200


class VaultApiError(RuntimeError):
    """A Vault endpoint could not be reached or answered with an error."""


@dataclass(frozen=True)
class SealStatus:
    """The fields of `GET /v1/sys/seal-status` the reconciliation needs."""

    initialized: bool
    sealed: bool
    threshold: int = 0
    shares: int = 0
    progress: int = 0

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> "SealStatus":
        return cls(
            initialized=bool(body["initialized"]),
            sealed=bool(body["sealed"]),
            threshold=int(body.get("t") or 0),
            shares=int(body.get("n") or 0),
            progress=int(body.get("progress") or 0),
        )


class VaultApi(Protocol):
    """The three Vault HTTP endpoints used, addressed per pod."""

    def seal_status(self, pod: str) -> dict[str, Any]: ...

    def init(self, pod: str, secret_shares: int, secret_threshold: int) -> dict[str, Any]: ...

    def unseal(self, pod: str, key: str | None = None, reset: bool = False) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Plan:
    """What a reconciliation would do, computed from seal status alone (no writes)."""

    initialize_via: str | None
    unseal: tuple[str, ...]

    @property
    def is_noop(self) -> bool:
        return self.initialize_via is None and not self.unseal


@dataclass
class Outcome:
    """What a reconciliation did, and the key material to keep."""

    unseal_keys: list[str]
    root_token: str | None
    initialized_now: bool
    unsealed: list[str] = field(default_factory=list)
    joining: list[str] = field(default_factory=list)
    """Raft followers that took the keys but had not joined yet; the next run finishes them."""


def read_statuses(api: VaultApi, pods: Sequence[str]) -> dict[str, SealStatus]:
    """Seal status of every pod; every unreachable pod is named in one error."""
    statuses: dict[str, SealStatus] = {}
    failures: list[str] = []
    for pod in pods:
        try:
            statuses[pod] = SealStatus.from_api(api.seal_status(pod))
        except VaultApiError as exc:
            failures.append(f"{pod}: {exc}")
    if failures:
        raise VaultApiError(
            "cannot read the seal status of " + "; ".join(failures)
            + " (is the pod running? `kubectl -n <namespace> get pods`; re-run `pulumi up` once it is)"
        )
    return statuses


def plan(statuses: dict[str, SealStatus], pods: Sequence[str]) -> Plan:
    """Initialise when no pod is initialised (through the first pod); unseal the sealed pods."""
    initialized = any(s.initialized for s in statuses.values())
    initialize_via = None if initialized else pods[0]
    if initialize_via is not None:
        # After init every pod is still sealed: all of them get unsealed in the same run.
        return Plan(initialize_via, tuple(pods))
    return Plan(None, tuple(p for p in pods if statuses[p].sealed))


def _unseal_pod(api: VaultApi, pod: str, keys: Sequence[str], status: SealStatus) -> bool:
    """Submit keys until the pod reports unsealed. False: a Raft follower still joining."""
    if status.progress:
        # A half-finished unseal (from an interrupted run or a human) would mix key sets: start over.
        api.unseal(pod, reset=True)
    for key in keys:
        body = api.unseal(pod, key=key)
        if not body.get("sealed", True):
            return True
    if not status.initialized:
        # A follower that has not yet joined the Raft cluster through retry_join keeps the keys and
        # unseals once it has joined; the next `pulumi up` sees whether it did.
        return False
    raise VaultApiError(f"{pod} is still sealed after {len(keys)} unseal keys: the keys in state do not match this Vault")


def reconcile(
    api: VaultApi,
    pods: Sequence[str],
    *,
    secret_shares: int = DEFAULT_SHARES,
    secret_threshold: int = DEFAULT_THRESHOLD,
    unseal_keys: Sequence[str] | None = None,
    root_token: str | None = None,
) -> Outcome:
    """Bring every pod to initialised and unsealed, writing only where the status says so."""
    if not pods:
        raise ValueError("no Vault pods given")
    if not 1 <= secret_threshold <= secret_shares:
        raise ValueError(f"threshold {secret_threshold} must be between 1 and the number of shares {secret_shares}")
    statuses = read_statuses(api, pods)
    todo = plan(statuses, pods)
    keys = list(unseal_keys or [])
    token = root_token
    initialized_now = False
    if todo.initialize_via is not None:
        body = api.init(todo.initialize_via, secret_shares, secret_threshold)
        keys, token, initialized_now = list(body["keys"]), body["root_token"], True
        statuses = read_statuses(api, pods)
    elif todo.unseal and not keys:
        raise VaultApiError(
            f"Vault is initialised but sealed on {', '.join(todo.unseal)} and this stack holds no unseal keys: "
            "it was initialised outside Pulumi; unseal it by hand (`vault operator unseal`) or import the keys"
        )
    unsealed: list[str] = []
    joining: list[str] = []
    # In order: the first pod (the one initialised, the Raft leader) before the followers.
    for pod in todo.unseal:
        status = statuses[pod]
        if not status.sealed:
            continue
        (unsealed if _unseal_pod(api, pod, keys, status) else joining).append(pod)
    return Outcome(keys, token, initialized_now, unsealed, joining)


# ---------------------------------------------------------------------------------------------
# HTTP client: the Kubernetes API server's pod proxy


class KubeProxyVaultApi:
    """Vault's sys endpoints of each pod, through `.../pods/<pod>:<port>/proxy/` on the API server."""

    def __init__(self, kubeconfig: str, namespace: str, port: int = VAULT_PORT, timeout: float = 15.0):
        self.namespace = namespace
        self.port = port
        self.timeout = timeout
        self._server, self._headers, self._ssl = _connection_from_kubeconfig(kubeconfig)

    def url(self, pod: str, path: str) -> str:
        return f"{self._server}/api/v1/namespaces/{self.namespace}/pods/{pod}:{self.port}/proxy/v1/{path}"

    def _call(self, pod: str, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {**self._headers, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url(pod, path), data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise VaultApiError(f"{method} sys/{path.removeprefix('sys/')} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise VaultApiError(f"{method} {path} failed: {getattr(exc, 'reason', exc)}") from None

    def seal_status(self, pod: str) -> dict[str, Any]:
        return self._call(pod, "GET", "sys/seal-status")

    def init(self, pod: str, secret_shares: int, secret_threshold: int) -> dict[str, Any]:
        return self._call(pod, "PUT", "sys/init", {"secret_shares": secret_shares, "secret_threshold": secret_threshold})

    def unseal(self, pod: str, key: str | None = None, reset: bool = False) -> dict[str, Any]:
        return self._call(pod, "PUT", "sys/unseal", {"reset": True} if reset else {"key": key})


def _connection_from_kubeconfig(text: str) -> tuple[str, dict[str, str], ssl.SSLContext | None]:
    """Server URL, auth headers and TLS context of the kubeconfig's current context."""
    config = yaml.safe_load(text)
    context_name = config.get("current-context") or config["contexts"][0]["name"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user: dict = next((u["user"] for u in config.get("users", []) if u["name"] == context.get("user")), {})
    server = cluster["server"].rstrip("/")
    headers: dict[str, str] = {}
    if user.get("token"):
        headers["Authorization"] = f"Bearer {user['token']}"
    if not server.startswith("https://"):
        return server, headers, None
    ctx = ssl.create_default_context()
    if cluster.get("insecure-skip-tls-verify"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif cluster.get("certificate-authority-data"):
        ctx.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    if user.get("client-certificate-data") and user.get("client-key-data"):
        # ssl only loads client credentials from files: write them 0600 and remove them at once.
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "client.crt"), os.path.join(tmp, "client.key")
            for path, value in ((cert, user["client-certificate-data"]), (key, user["client-key-data"])):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(base64.b64decode(value))
            ctx.load_cert_chain(cert, key)
    return server, headers, ctx


# ---------------------------------------------------------------------------------------------
# Dynamic provider


def _api(props: dict[str, Any]) -> VaultApi:
    return KubeProxyVaultApi(props["kubeconfig"], props["namespace"])


def _outs(props: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    return {
        **props,
        "unseal_keys": outcome.unseal_keys,
        "root_token": outcome.root_token,
        "initialized_by_stack": bool(props.get("initialized_by_stack")) or outcome.initialized_now,
        "last_unsealed": outcome.unsealed,
        "joining": outcome.joining,
    }


class VaultInitProvider(ResourceProvider):
    """create/update reconcile; diff plans read-only; delete forgets (Vault keeps its data)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        outcome = reconcile(
            _api(props), props["pods"], secret_shares=int(props["secret_shares"]),
            secret_threshold=int(props["secret_threshold"]),
        )
        return CreateResult(id_=f"{props['namespace']}/vault-init", outs=_outs(props, outcome))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if olds.get("unseal_keys") and (
            int(olds["secret_shares"]) != int(news["secret_shares"])
            or int(olds["secret_threshold"]) != int(news["secret_threshold"])
        ):
            raise VaultApiError(
                "changing key shares or threshold of an initialised Vault needs `vault operator rekey`; "
                "it is not automated: revert secretShares/secretThreshold"
            )
        changed = [k for k in ("namespace", "pods") if olds.get(k) != news.get(k)]
        try:
            todo = plan(read_statuses(_api(news), news["pods"]), news["pods"])
        except VaultApiError:
            # Unreachable now: let update run and report the precise error.
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        return DiffResult(changes=bool(changed) or not todo.is_noop, replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outcome = reconcile(
            _api(news), news["pods"], secret_shares=int(news["secret_shares"]),
            secret_threshold=int(news["secret_threshold"]),
            unseal_keys=olds.get("unseal_keys"), root_token=olds.get("root_token"),
        )
        return UpdateResult(outs=_outs({**news, "initialized_by_stack": olds.get("initialized_by_stack")}, outcome))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Nothing to undo: Vault stays initialised. The resource is protected so the keys are not
        # dropped from state by accident.
        return None


class VaultInit(Resource):
    """Initialises and unseals the Vault pods; unseal keys and root token are secret outputs."""

    unseal_keys: pulumi.Output[list[str]]
    """The Shamir unseal keys (secret)."""
    root_token: pulumi.Output[str]
    """The initial root token (secret); used once to configure Vault, then revocable."""
    initialized_by_stack: pulumi.Output[bool]
    last_unsealed: pulumi.Output[list[str]]
    """Pods the last run unsealed (empty when nothing was sealed)."""
    joining: pulumi.Output[list[str]]
    """Raft followers still joining after the last run; the next `pulumi up` unseals them."""

    def __init__(
        self,
        name: str,
        *,
        kubeconfig: pulumi.Input[str],
        namespace: str,
        pods: Sequence[str],
        secret_shares: int = DEFAULT_SHARES,
        secret_threshold: int = DEFAULT_THRESHOLD,
        opts: pulumi.ResourceOptions | None = None,
    ):
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["unseal_keys", "root_token", "kubeconfig"])
        super().__init__(
            VaultInitProvider(),
            name,
            {
                "kubeconfig": pulumi.Output.secret(kubeconfig),
                "namespace": namespace,
                "pods": list(pods),
                "secret_shares": secret_shares,
                "secret_threshold": secret_threshold,
                "unseal_keys": None,
                "root_token": None,
                "initialized_by_stack": None,
                "last_unsealed": None,
                "joining": None,
            },
            pulumi.ResourceOptions.merge(secret_opts, opts),
        )
