"""A local Standard Webhooks receiver for demos, tests and benchmarks (never for production).

It answers POST /hooks/<tenant>; query parameters script its behaviour per URL:
`fail=N` answers 503 to the first N deliveries, `status=CODE` always answers CODE,
`retry_after=S` adds a Retry-After header to failures, `delay_ms=N` answers after N ms.
With a secret lookup it verifies signatures and answers 401 when one does not match.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from standardwebhooks import Webhook, WebhookVerificationError

__all__ = ["Delivery", "WebhookReceiver"]

SecretLookup = Callable[[str], str | None]


@dataclass
class Delivery:
    """One request the receiver saw."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    signature_ok: bool | None


@dataclass
class WebhookReceiver:
    """A threaded HTTP server on loopback recording every delivery."""

    host: str = "127.0.0.1"
    port: int = 0
    secret_for: SecretLookup | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """http://host:port of the running server."""
        assert self._server is not None, "start() the receiver first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url(self, tenant: str, **behaviour: int | str) -> str:
        """The webhook URL for `tenant`, with scripted behaviour (fail=2, status=500, ...)."""
        query = "&".join(f"{k}={v}" for k, v in behaviour.items())
        return f"{self.base_url}/hooks/{tenant}" + (f"?{query}" if query else "")

    def start(self) -> WebhookReceiver:
        """Serve in a background thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status, signature_ok, extra = receiver._respond(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()
                with receiver._lock:
                    receiver.deliveries.append(
                        Delivery(self.path, dict(self.headers.items()), body, status, signature_ok)
                    )

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _respond(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bool | None, dict[str, str]]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        tenant = parts.path.rsplit("/", 1)[-1]
        with self._lock:
            self._counts[path] += 1
            seen = self._counts[path]
        signature_ok: bool | None = None
        secret = self.secret_for(tenant) if self.secret_for else None
        if secret is not None:
            try:
                Webhook(secret).verify(body, headers)
                signature_ok = True
            except WebhookVerificationError:
                return 401, False, {}
        if "delay_ms" in query:
            time.sleep(int(query["delay_ms"]) / 1000)
        extra = {"retry-after": query["retry_after"]} if "retry_after" in query else {}
        if "status" in query:
            return int(query["status"]), signature_ok, extra
        if seen <= int(query.get("fail", "0")):
            return 503, signature_ok, extra
        return 200, signature_ok, {}

    def attempts(self, tenant: str) -> int:
        """How many deliveries reached `tenant`'s hook."""
        with self._lock:
            return sum(1 for d in self.deliveries if urlsplit(d.path).path.endswith(f"/hooks/{tenant}"))
