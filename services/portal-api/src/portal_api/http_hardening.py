"""HTTP middleware: security headers on every answer, /metrics on an internal port only, request metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The pages load only the portal's own stylesheet: no script at all, nothing framed, forms post home.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # not no-referrer: it would turn same-origin forms' Origin into "null"
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
DEV_DOCS = ("/docs",)  # Swagger UI (dev mode only) runs its own scripts: it keeps its page's defaults


class SecurityHeaders:
    """Adds the security headers to every HTTP answer (HSTS only when the portal is served over TLS)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = (*HEADERS, HSTS) if hsts else HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to its answer."""
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(DEV_DOCS):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class InternalMetrics:
    """Serves `metrics` at /metrics on the internal port only; that port serves nothing else.

    The process listens on two ports: the public one (behind the Ingress) answers 404 for /metrics,
    and the internal one (scraped by Prometheus, never routed by the Ingress) answers only /metrics.
    """

    def __init__(self, app: ASGIApp, *, metrics: ASGIApp, port: int) -> None:
        self.app, self.metrics, self.port = app, metrics, port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """/metrics on the internal port, 404 for anything else there or for /metrics elsewhere, else the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server") or ("", 0)
        internal = server[1] == self.port
        is_metrics = scope.get("path") in ("/metrics", "/metrics/")
        if internal and is_metrics:
            await self.metrics(scope, receive, send)
        elif internal or is_metrics:
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"not found"})
        else:
            await self.app(scope, receive, send)


class RequestMetrics:
    """Counts every HTTP answer by route template, method and status code, and times it.

    Never by raw path: the route is `/api/v1/tenants/{tenant}/overview`, so tenant slugs and ids never
    become label values; a path no route matched is `unmatched`.
    """

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "trustportal_http_requests_total",
            "HTTP answers by route template, method and status code",
            ["route", "method", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "trustportal_http_request_duration_seconds",
            "From the request to the start of its answer, by route template and method",
            ["route", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count its answer under the route that handled it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.requests.labels(route=route, method=method, status=str(status)).inc()
            self.seconds.labels(route=route, method=method).observe(time.perf_counter() - began)
