"""Probe endpoints every service exposes: /healthz (alive), /readyz (dependencies), /metrics."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from faststream.asgi import AsgiResponse, get
from faststream.asgi.types import ASGIApp, Scope
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, make_asgi_app
from pymongo import AsyncMongoClient

__all__ = ["health_routes", "readiness"]

JSON = {"content-type": "application/json"}


async def readiness(broker: KafkaBroker, mongo: AsyncMongoClient[Any], *, timeout_s: float = 2.0) -> tuple[bool, bytes]:
    """Whether Kafka and MongoDB both answer, and a JSON body naming each one's state."""

    async def mongo_ok() -> bool:
        try:
            await asyncio.wait_for(mongo.admin.command("ping"), timeout_s)
        except Exception:
            return False
        return True

    kafka, db = await asyncio.gather(broker.ping(timeout_s), mongo_ok())
    checks = {"kafka": "ok" if kafka else "unreachable", "mongodb": "ok" if db else "unreachable"}
    ready = bool(kafka and db)
    return ready, json.dumps({"status": "ready" if ready else "not ready", "checks": checks}).encode()


def health_routes(
    broker: KafkaBroker, mongo: AsyncMongoClient[Any], registry: CollectorRegistry, *, timeout_s: float = 2.0
) -> list[tuple[str, ASGIApp]]:
    """Liveness never depends on Kafka or MongoDB (an outage must not restart every pod); readiness does."""

    @get(include_in_schema=False)
    async def healthz(scope: Scope) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers=JSON)

    @get(include_in_schema=False)
    async def readyz(scope: Scope) -> AsgiResponse:
        ready, body = await readiness(broker, mongo, timeout_s=timeout_s)
        return AsgiResponse(body, 200 if ready else 503, headers=JSON)

    return [("/healthz", healthz), ("/readyz", readyz), ("/metrics", make_asgi_app(registry))]
