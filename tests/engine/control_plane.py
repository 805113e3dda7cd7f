"""A local Kubernetes control plane on 127.0.0.1 for the real-engine tests (the envtest way).

etcd (Debian's package), kube-apiserver and kube-controller-manager (built by scripts/toolchain.sh
from k8s.io/kubernetes) run as child processes in a temporary directory: the API server with a
static token file and RBAC, the controller manager with the controllers that deletion and quotas
need (garbage collector and namespace controller: the Kubernetes provider deletes with foreground
propagation; resourcequota: a ResourceQuota is ready once it has a status). There are no nodes and
no kubelet: objects are accepted, validated, defaulted, stored and deleted, nothing is scheduled.

The upstream CRDs of the platform's services are installed from the schema directory (only the
CustomResourceDefinition documents of each file), a kubeconfig with the admin token is written,
and everything started is stopped when the test session ends.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pulumi_cli import BIN, why_missing

# The controller manager's names for the garbagecollector, namespace, serviceaccount,
# serviceaccount-token and resourcequota controllers.
CONTROLLERS = ("garbage-collector-controller", "namespace-controller", "serviceaccount-controller",
               "serviceaccount-token-controller", "resourcequota-controller")
BINARIES = (("etcd", "etcd"), ("kube-apiserver", "kube-apiserver"), ("kube-controller-manager", "kube-controller-manager"))


def missing_binaries() -> list[str]:
    """The control plane's binaries that the toolchain has not provided, each with its reason."""
    return [f"{b} ({why_missing(t)})" for t, b in BINARIES if not os.access(BIN / b, os.X_OK)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crd_documents(crd_dir: Path) -> list[dict]:
    """Every CustomResourceDefinition in the schema directory's files (other kinds are left out:
    Longhorn's file is the whole install manifest)."""
    docs: list[dict] = []
    for path in sorted(p for p in crd_dir.rglob("*") if p.suffix in (".yaml", ".yml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
    return docs


@dataclass
class ControlPlane:
    root: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    port: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _discovery: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    # -- lifecycle ---------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.root / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
                                                start_new_session=True)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.root / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def start(self, timeout: float = 180) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        certs = self.root / "certs"
        certs.mkdir(exist_ok=True)
        sa_key = certs / "service-account.key"
        subprocess.run(["openssl", "genrsa", "-out", str(sa_key), "2048"], check=True, capture_output=True)
        sa_pub = certs / "service-account.pub"
        subprocess.run(["openssl", "rsa", "-in", str(sa_key), "-pubout", "-out", str(sa_pub)], check=True,
                       capture_output=True)
        (self.root / "tokens.csv").write_text(f"{self.token},idp-admin,idp-admin,system:masters\n")

        etcd_port, peer_port = free_port(), free_port()
        self._spawn("etcd", [
            str(BIN / "etcd"), "--name", "local", "--data-dir", str(self.root / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-cluster", f"local=http://127.0.0.1:{peer_port}",
            "--quota-backend-bytes", str(2 * 1024**3), "--log-level", "warn",
        ])
        self.port = free_port()
        self._spawn("kube-apiserver", [
            str(BIN / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={self.port}",
            f"--cert-dir={certs}",
            f"--token-auth-file={self.root / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={sa_pub}", f"--service-account-signing-key-file={sa_key}",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
            # envtest's way: a loopback advertise address needs the endpoint reconciler off.
            "--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false", "--v=1",
        ])
        self.write_kubeconfig()
        self.wait_ready(timeout)
        ca = certs / "apiserver.crt"
        self._spawn("kube-controller-manager", [
            str(BIN / "kube-controller-manager"),
            f"--kubeconfig={self.kubeconfig}", f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            f"--controllers={','.join(CONTROLLERS)}",
            f"--service-account-private-key-file={sa_key}", f"--root-ca-file={ca}",
            "--bind-address=127.0.0.1", f"--secure-port={free_port()}", "--leader-elect=false",
            "--concurrent-gc-syncs=5", "--v=1",
        ])
        self.wait_controllers(timeout)

    def stop(self) -> None:
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            proc = self.processes.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    # -- the API ---------------------------------------------------------------------------
    def write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "local",
            # The API server's certificate is self-signed at start; the address is loopback only.
            "clusters": [{"name": "local", "cluster": {"server": self.server, "insecure-skip-tls-verify": True}}],
            "users": [{"name": "idp-admin", "user": {"token": self.token}}],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": "idp-admin"}}],
        }
        self.kubeconfig.write_text(yaml.safe_dump(config))

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 30,
                content_type: str = "json") -> tuple[int, dict | str]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            "Content-Type": {"json": "application/json", "merge": "application/merge-patch+json"}[content_type]})
        try:
            with urllib.request.urlopen(req, context=context, timeout=timeout) as resp:
                raw = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read().decode(errors="replace"), exc.code
        try:
            return status, json.loads(raw)
        except json.JSONDecodeError:
            return status, raw

    def object_path(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> str:
        """The REST path of an object, from the server's own discovery (plural and scope)."""
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if base not in self._discovery:
            self._discovery[base] = {r["kind"]: (r["name"], r["namespaced"]) for r in self.get(base)["resources"]
                                     if "/" not in r["name"]}
        plural, namespaced = self._discovery[base][kind]
        return f"{base}/namespaces/{namespace}/{plural}/{name}" if namespaced else f"{base}/{plural}/{name}"

    def get(self, path: str) -> dict | None:
        """The object at `path`, or None when the server says 404."""
        status, body = self.request("GET", path)
        if status == 404:
            return None
        assert status == 200, f"GET {path}: {status} {body}"
        return body

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                status, body = self.request("GET", "/readyz", timeout=5)
                if status == 200:
                    return
                last = f"{status} {body}"
            except (OSError, urllib.error.URLError) as exc:
                last = str(exc)
            time.sleep(1)
        raise RuntimeError(f"kube-apiserver not ready after {timeout}s ({last}):\n{self.log_tail('kube-apiserver')}")

    def wait_controllers(self, timeout: float) -> None:
        """The serviceaccount controller creates `default` in every namespace: proof the manager runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes["kube-controller-manager"]
            if proc.poll() is not None:
                raise RuntimeError(f"kube-controller-manager exited:\n{self.log_tail('kube-controller-manager')}")
            if self.get("/api/v1/namespaces/default/serviceaccounts/default") is not None:
                return
            time.sleep(1)
        raise RuntimeError(f"kube-controller-manager made no default service account:\n"
                           f"{self.log_tail('kube-controller-manager')}")

    def install_crds(self, docs: list[dict], timeout: float = 120) -> list[str]:
        base = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        names = []
        for doc in docs:
            status, body = self.request("POST", base, doc, timeout=60)
            assert status in (201, 409), f"CRD {doc['metadata']['name']}: {status} {str(body)[:600]}"
            names.append(doc["metadata"]["name"])
        deadline = time.monotonic() + timeout
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                crd = self.get(f"{base}/{name}") or {}
                conditions = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
                if conditions.get("Established") == "True":
                    pending.discard(name)
            time.sleep(0.5)
        assert not pending, f"CRDs not established after {timeout}s: {sorted(pending)}"
        return names
