import gc
import warnings
from typing import Any

import httpx
from faststream.asgi import AsgiFastStream
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from service_kit.broker import build_broker
from service_kit.health import health_routes
from service_kit.settings import ServiceSettings


async def test_readiness_names_the_dependency_that_is_down_while_liveness_stays_up():
    settings = ServiceSettings(kafka_bootstrap="127.0.0.1:1", mongo_uri="mongodb://127.0.0.1:1/")
    broker, _ = build_broker(settings, group="g")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, serverSelectionTimeoutMS=200)
    app = AsgiFastStream(asgi_routes=health_routes(broker, mongo, CollectorRegistry(), timeout_s=0.5))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        live = await client.get("/healthz")
        ready = await client.get("/readyz")
    await mongo.close()
    await broker.stop()
    # The only unit test that dials real sockets (to a closed port): a client's refused connection that is
    # collected later would raise its ResourceWarning inside whichever test runs then (CI saw it once).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "checks": {"kafka": "unreachable", "mongodb": "unreachable"}}
