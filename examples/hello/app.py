"""hello: the smallest service that satisfies the golden path's contract.

Listens on 8080, answers /healthz (liveness) and /readyz (readiness), exposes Prometheus
metrics on /metrics, reads its settings from the environment and writes nothing to disk.
"""

import os
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUESTS: Counter = Counter()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/metrics":
            lines = ["# TYPE http_requests_total counter"]
            lines += [f'http_requests_total{{app="hello",code="{code}"}} {n}' for code, n in sorted(REQUESTS.items())]
            self._reply(200, "\n".join(lines) + "\n", "text/plain; version=0.0.4")
            return
        if self.path in ("/healthz", "/readyz"):
            self._reply(200, "ok\n")
            return
        greeting = os.environ.get("GREETING", "Hello")
        database = "with a database" if os.environ.get("DATABASE_URL") else "without a database"
        self._reply(200, f"{greeting} ({os.environ.get('ENVIRONMENT', 'local')}, {database})\n")

    def _reply(self, code: int, body: str, content_type: str = "text/plain") -> None:
        REQUESTS[str(code)] += 1
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args) -> None:
        if os.environ.get("LOG_LEVEL") == "debug":
            super().log_message(fmt, *args)


if __name__ == "__main__":
    ThreadingHTTPServer(("", 8080), Handler).serve_forever()
