from types import SimpleNamespace
from typing import Any, cast

import httpx
from faststream.asgi import AsgiFastStream
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from pymongo.errors import ServerSelectionTimeoutError
from service_kit.broker import build_broker
from service_kit.health import health_routes
from service_kit.settings import ServiceSettings


class DownMongo:
    """MongoDB that is down, as the client reports it: the ping fails selecting a server (no socket is opened,
    so no refused connection is left for the garbage collector to warn about in a later test)."""

    def __init__(self) -> None:
        self.admin = SimpleNamespace(command=self.command)

    async def command(self, name: str) -> dict[str, Any]:
        raise ServerSelectionTimeoutError(f"{name}: no server answered")


async def test_readiness_names_the_dependency_that_is_down_while_liveness_stays_up():
    settings = ServiceSettings(kafka_bootstrap="127.0.0.1:1", mongo_uri="mongodb://127.0.0.1:1/")
    broker, _ = build_broker(settings, group="g")
    mongo = cast(AsyncMongoClient[dict[str, Any]], DownMongo())
    app = AsgiFastStream(asgi_routes=health_routes(broker, mongo, CollectorRegistry(), timeout_s=0.5))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "checks": {"kafka": "unreachable", "mongodb": "unreachable"}}
