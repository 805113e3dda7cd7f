"""An in-process fake of Vault's `sys/seal-status`, `sys/init` and `sys/unseal` for three Raft pods,
served behind the Kubernetes API server's pod-proxy path layout on 127.0.0.1.

Semantics follow Vault's API docs: init answers 400 when already initialised, a freshly
initialised Vault is sealed, unsealing needs `t` distinct valid keys, `reset` clears progress,
followers report `initialized: false` until they have joined. Every write is logged, so tests can
assert that a run wrote nothing. Used by test_vault_init.py (logic and provider) and
test_vault_init_engine.py (the real Pulumi engine).
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

PODS = ["vault-0", "vault-1", "vault-2"]
TOKEN = "test-bearer-token"


class FakeVault:
    """Shamir-sealed three-pod Vault cluster state, plus a log of every write."""

    def __init__(self, pods=PODS):
        self.initialized = False
        self.keys: list[str] = []
        self.root_token: str | None = None
        self.threshold = 0
        self.shares = 0
        self.pods = {p: {"sealed": True, "submitted": [], "joined": False, "down": False} for p in pods}
        self.writes: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    # -- behaviour -------------------------------------------------------------------------
    def status(self, pod):
        state = self.pods[pod]
        initialized = self.initialized and (state["joined"] or pod == "vault-0")
        return {
            "type": "shamir",
            "initialized": initialized,
            "sealed": state["sealed"],
            "t": self.threshold,
            "n": self.shares,
            "progress": len(state["submitted"]),
            "nonce": "",
            "version": "2.0.4",
        }

    def init(self, pod, body):
        if self.initialized:
            return 400, {"errors": ["Vault is already initialized"]}
        self.shares, self.threshold = body["secret_shares"], body["secret_threshold"]
        if not 1 <= self.threshold <= self.shares:
            return 400, {"errors": ["invalid threshold"]}
        self.keys = [secrets.token_hex(32) for _ in range(self.shares)]
        self.root_token = "hvs." + secrets.token_urlsafe(24)
        self.initialized = True
        self.pods[pod]["joined"] = True
        return 200, {"keys": self.keys, "keys_base64": self.keys, "root_token": self.root_token}

    def unseal(self, pod, body):
        state = self.pods[pod]
        if body.get("reset"):
            state["submitted"] = []
            return 200, self.status(pod)
        if not self.initialized:
            return 400, {"errors": ["Vault is not initialized"]}
        key = body.get("key")
        if key not in self.keys:
            state["submitted"] = []
            return 400, {"errors": ["invalid key"]}
        if key not in state["submitted"]:
            state["submitted"].append(key)
        if len(state["submitted"]) >= self.threshold:
            state["sealed"], state["submitted"], state["joined"] = False, [], True
        return 200, self.status(pod)

    def restart(self, pod):
        """A node failure: the pod comes back sealed (Shamir keys live only in memory)."""
        self.pods[pod]["sealed"] = True
        self.pods[pod]["submitted"] = []

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, method, path, headers, body):
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"kind": "Status", "message": "Unauthorized"}
        prefix = "/api/v1/namespaces/vault/pods/"
        if not path.startswith(prefix):
            return 404, {"message": f"no route {path}"}
        target, _, rest = path[len(prefix):].partition("/proxy/v1/")
        pod, _, port = target.partition(":")
        if pod not in self.pods or port != "8200":
            return 404, {"message": f"pods {target} not found"}
        if self.pods[pod]["down"]:
            return 503, {"message": f"no endpoints available for pod {pod}"}
        with self.lock:
            if method == "GET" and rest == "sys/seal-status":
                return 200, self.status(pod)
            if method in ("PUT", "POST") and rest == "sys/init":
                self.writes.append((pod, "init"))
                return self.init(pod, body)
            if method in ("PUT", "POST") and rest == "sys/unseal":
                self.writes.append((pod, "unseal"))
                return self.unseal(pod, body)
        return 405, {"errors": [f"{method} {rest} not supported by the fake"]}


class FakeVaultServer:
    """Serve a FakeVault on an ephemeral loopback port; `kubeconfig` points a client at it."""

    def __init__(self, vault: "FakeVault"):
        self.vault = vault

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                code, answer = vault.handle(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        vault.kubeconfig = yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "lab",
                "clusters": [{"name": "lab", "cluster": {"server": f"http://127.0.0.1:{self.server.server_port}"}}],
                "users": [{"name": "admin", "user": {"token": TOKEN}}],
                "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
            }
        )

    def __enter__(self) -> "FakeVault":
        self.thread.start()
        return self.vault

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
