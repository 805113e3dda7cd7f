"""A minimal read-only OCI registry on the loopback interface, serving cosign-signed test images.

`verify-image-signatures` needs a registry to fetch signatures from, and no registry is reachable
from this machine or CI. This one implements the Distribution API reads that Kyverno's registry
client (go-containerregistry) and cosign's key-based verification make:
`GET /v2/`, `GET|HEAD /v2/<repo>/manifests/<tag|digest>`, `GET /v2/<repo>/blobs/<digest>`, and
`GET /v2/<repo>/referrers/<digest>` (an empty index, so cosign falls back to the `.sig` tag).
go-containerregistry talks plain HTTP to 127.0.0.1, so no TLS is needed.

Signatures follow cosign's tag-based layout: the manifest tagged `sha256-<hex>.sig` in the image's
repository has one layer of media type `application/vnd.dev.cosign.simplesigning.v1+json` (the
simple-signing payload naming the image digest) whose annotation
`dev.cosignproject.cosign/signature` holds the base64 DER ECDSA signature of that payload. Keys and
signatures are made with the `openssl` CLI at test time; no private key is ever committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class KeyPair:
    """An ECDSA P-256 key pair in PEM files, made by openssl in a temporary directory."""

    private: Path
    public: Path

    @classmethod
    def generate(cls, directory: Path, name: str = "cosign") -> "KeyPair":
        private, public = directory / f"{name}.key", directory / f"{name}.pub"
        subprocess.run(
            ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(private)],
            check=True, capture_output=True,
        )
        subprocess.run(["openssl", "ec", "-in", str(private), "-pubout", "-out", str(public)], check=True, capture_output=True)
        private.chmod(0o600)
        return cls(private, public)

    @property
    def public_pem(self) -> str:
        return self.public.read_text()

    def sign(self, payload: bytes) -> bytes:
        """DER ECDSA signature over SHA-256(payload), as cosign makes it."""
        return subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.private)], input=payload, check=True, capture_output=True
        ).stdout

    def verify(self, payload: bytes, signature: bytes, workdir: Path) -> bool:
        sig = workdir / "check.sig"
        sig.write_bytes(signature)
        result = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", str(self.public), "-signature", str(sig)],
            input=payload, capture_output=True,
        )
        return result.returncode == 0


@dataclass
class Registry:
    """Repositories -> manifests by tag and digest, plus blobs."""

    host: str = ""
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def _blob(self, data: bytes, media_type: str, annotations: dict | None = None) -> dict:
        digest = digest_of(data)
        self.blobs[digest] = data
        desc = {"mediaType": media_type, "digest": digest, "size": len(data)}
        if annotations:
            desc["annotations"] = annotations
        return desc

    def _put_manifest(self, repo: str, tag: str, config: dict, layers: list[dict]) -> str:
        manifest = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers}, separators=(",", ":")
        ).encode()
        digest = digest_of(manifest)
        self.manifests[(repo, tag)] = (digest, manifest)
        self.manifests[(repo, digest)] = (digest, manifest)
        return digest

    def add_image(self, repo: str, tag: str) -> str:
        """A one-layer image; returns its manifest digest."""
        config = self._blob(
            json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode(),
            OCI_CONFIG,
        )
        layer = self._blob(f"layer of {repo}:{tag}".encode(), "application/vnd.oci.image.layer.v1.tar")
        return self._put_manifest(repo, tag, config, [layer])

    def sign(self, repo: str, digest: str, key: KeyPair) -> bytes:
        """Attach a cosign signature made with `key`; returns the signed payload."""
        payload = json.dumps(
            {
                "critical": {
                    "identity": {"docker-reference": f"{self.host}/{repo}"},
                    "image": {"docker-manifest-digest": digest},
                    "type": "cosign container image signature",
                },
                "optional": None,
            },
            separators=(",", ":"),
        ).encode()
        signature = base64.b64encode(key.sign(payload)).decode()
        layer = self._blob(payload, SIMPLE_SIGNING, {SIGNATURE_ANNOTATION: signature})
        config = self._blob(b"{}", OCI_CONFIG)
        self._put_manifest(repo, f"{digest.replace(':', '-')}.sig", config, [layer])
        return payload

    # -- HTTP --------------------------------------------------------------------------------
    _ROUTE = re.compile(r"^/v2/(?P<repo>.+?)/(?P<kind>manifests|blobs|referrers)/(?P<ref>[^/]+)$")

    def handle(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(f"{method} {path}")
        path = path.split("?", 1)[0]
        if path in ("/v2/", "/v2"):
            return 200, {"Content-Type": "application/json"}, b"{}"
        match = self._ROUTE.match(path)
        if not match:
            return 404, {}, b'{"errors":[{"code":"NAME_UNKNOWN"}]}'
        repo, kind, ref = match["repo"], match["kind"], match["ref"]
        if kind == "referrers":
            body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode()
            return 200, {"Content-Type": OCI_INDEX}, body
        if kind == "manifests":
            found = self.manifests.get((repo, ref))
            if found is None:
                return 404, {"Content-Type": "application/json"}, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'
            digest, body = found
            return 200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": digest}, body
        blob = self.blobs.get(ref)
        if blob is None:
            return 404, {"Content-Type": "application/json"}, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}'
        return 200, {"Content-Type": "application/octet-stream", "Docker-Content-Digest": ref}, blob


class RegistryServer:
    """Serve a Registry on 127.0.0.1 (ephemeral port) in a background thread."""

    def __init__(self, registry: Registry):
        self.registry = registry
        reg = registry

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, with_body: bool):
                code, headers, body = reg.handle(self.command, self.path)
                self.send_response(code)
                headers = {"Docker-Distribution-API-Version": "registry/2.0", **headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self):
                self._serve(True)

            def do_HEAD(self):
                self._serve(False)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        registry.host = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Registry:
        self.thread.start()
        return self.registry

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
