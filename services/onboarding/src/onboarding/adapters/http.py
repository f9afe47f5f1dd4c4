"""SSRF-guarded webhook HTTP client: resolve, check every address, connect to the checked one."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from ipaddress import IPv6Address

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.trace import TracerProvider

from onboarding.errors import UnsafeUrlError
from onboarding.ssrf import UrlPolicy, choose_address, parse_webhook_url
from onboarding.verification import Attempt

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve `host` with the system resolver (all A and AAAA answers)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedSender:
    """Posts webhooks without following redirects, to an address the SSRF policy accepted.

    The request goes to the checked IP, with the original Host header and TLS server name, so the
    certificate is still verified for the host name and DNS cannot change the target in between.
    """

    def __init__(
        self,
        policy: UrlPolicy,
        *,
        timeout_s: float,
        resolver: Resolver = system_resolver,
        tracer_provider: TracerProvider | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.timeout_s = timeout_s
        # No kept-alive connections: every request goes to a checked IP literal, so a pooled TLS
        # connection (verified for one tenant's host name) could otherwise carry another tenant's
        # request to the same address. Each attempt opens, and closes, its own connection.
        self.client = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        HTTPXClientInstrumentor.instrument_client(self.client, tracer_provider=tracer_provider)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        """Send one attempt; refusals and network errors come back as values, never raised."""
        try:
            parts = parse_webhook_url(url, self.policy)
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                addresses = await self.resolver(host, port)
            except OSError as exc:
                return Attempt(error=f"cannot resolve {host}: {exc.strerror or exc}")
            address = choose_address(host, addresses, self.policy)
        except UnsafeUrlError as exc:
            return Attempt(refused=str(exc))
        literal = f"[{address}]" if isinstance(address, IPv6Address) else str(address)
        target = parts._replace(netloc=f"{literal}:{port}").geturl()
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        started = time.perf_counter()
        try:
            response = await self.client.post(
                target, content=body, headers={**headers, "host": host_header}, extensions=extensions
            )
        except httpx.TimeoutException:
            return Attempt(error=f"timed out after {self.timeout_s:g}s", latency_ms=_ms(started))
        except httpx.HTTPError as exc:
            return Attempt(error=f"connection failed: {type(exc).__name__}: {exc}", latency_ms=_ms(started))
        return Attempt(
            status_code=response.status_code,
            latency_ms=_ms(started),
            retry_after=response.headers.get("retry-after"),
        )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
