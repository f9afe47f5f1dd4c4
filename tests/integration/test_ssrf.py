"""SSRF: webhook hosts resolving to internal addresses are refused, with a clear reason, before any connection."""

from __future__ import annotations

import pytest
from onboarding.app import build_app
from onboarding.settings import OnboardingSettings
from pymongo import MongoClient

from tests.integration.support import cohort, eventually, request, tenant

FAKE_DNS = {
    "loopback.partner.example": ["127.0.0.1"],
    "private.partner.example": ["10.20.30.40"],
    "metadata.partner.example": ["169.254.169.254"],
    "v6loop.partner.example": ["::1"],
    "rebind.partner.example": ["93.184.216.34", "10.0.0.1"],
    "sixtofour.partner.example": ["2002:a9fe:a9fe::1"],
}


async def fake_resolver(host: str, port: int) -> list[str]:
    if host in FAKE_DNS:
        return FAKE_DNS[host]
    import ipaddress

    ipaddress.ip_address(host)  # literals resolve to themselves
    return [host]


@pytest.fixture
async def guarded(settings: OnboardingSettings):
    strict = settings.model_copy(update={"webhook_allow_hosts": frozenset()})
    app = build_app(strict, resolver=fake_resolver)
    await app.start()
    yield strict
    await app.stop()


@pytest.mark.parametrize(
    ("slug", "url", "reason"),
    [
        ("loopback", "https://loopback.partner.example/hook", "resolves to 127.0.0.1, a loopback address"),
        ("private", "https://private.partner.example/hook", "resolves to 10.20.30.40, a private address"),
        ("metadata", "https://metadata.partner.example/hook", "resolves to 169.254.169.254, a cloud metadata address"),
        ("sixloop", "https://v6loop.partner.example/hook", "resolves to ::1, a loopback address"),
        ("rebind", "https://rebind.partner.example/hook", "resolves to 10.0.0.1, a private address"),
        ("literal", "https://10.1.1.1/hook", "resolves to 10.1.1.1, a private address"),
        ("literal-six", "https://[::1]/hook", "resolves to ::1, a loopback address"),
        ("sixtofour", "https://sixtofour.partner.example/hook", "a cloud metadata address (169.254.169.254, embedded"),
    ],
)
async def test_a_webhook_host_resolving_to_an_internal_address_is_refused(
    guarded: OnboardingSettings, mongo: MongoClient, publish, slug: str, url: str, reason: str
):
    await publish(request(slug, url))
    await eventually(
        lambda: (tenant(mongo, guarded, slug) or {}).get("state") == "verification_failed", what=f"{slug} refused"
    )
    doc = tenant(mongo, guarded, slug)
    assert reason in doc["failure_reason"] and "refused (not allow-listed)" in doc["failure_reason"]
    assert doc["attempts"] == 0  # nothing was sent


async def test_plain_http_to_a_host_that_is_not_allow_listed_is_rejected_at_intake(
    guarded: OnboardingSettings, mongo: MongoClient, publish
):
    await publish(request("plainhttp", "http://127.0.0.1:9/hook"))
    await publish(request("marker", "https://10.9.9.9/hook"))
    await eventually(lambda: tenant(mongo, guarded, "marker") is not None, what="marker handled")
    assert tenant(mongo, guarded, "plainhttp") is None
    await eventually(lambda: "plainhttp" in cohort(mongo, guarded, "it").reasons, what="rejection in cohort")
    reason = cohort(mongo, guarded, "it").reasons["plainhttp"]
    assert "http is only allowed for allow-listed development hosts" in reason


async def test_no_connection_is_reused_between_tenants_hosts_on_one_address():
    """Two tenants' hosts on the same address each get their own connection: a TLS session verified for
    one tenant's name never carries another's request."""
    import asyncio

    from onboarding.adapters.http import GuardedSender
    from onboarding.ssrf import UrlPolicy

    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:  # answer every request on this connection, offering to keep it alive
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed it
        finally:
            writer.close()
            await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hosts = ("hooks.alpha.example", "hooks.beta.example")

    async def resolve(host: str, _: int) -> list[str]:
        return ["127.0.0.1"]

    sender = GuardedSender(UrlPolicy(allow_hosts=frozenset(hosts)), timeout_s=5, resolver=resolve)
    try:
        for host in (*hosts, *hosts):
            attempt = await sender(f"http://{host}:{port}/hook", b"{}", {"content-type": "application/json"})
            assert attempt.status_code == 204, attempt
    finally:
        await sender.aclose()
        server.close()
        await server.wait_closed()
    assert connections == 4
