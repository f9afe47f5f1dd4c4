"""Composition root of the evidence service: build_app() wires settings to adapters; nothing runs at import.

Subscribers are in routes.py, what they do in handlers.py (the builder in builder.py; pure parts in
pack.py, merkle.py, items.py, ledger.py, verify.py), the ports in ports.py, adapters in adapters/.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from gridfs import AsyncGridFSBucket
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from schemas.evidence import EvidenceFact
from service_kit.broker import build_broker, ensure_topics
from service_kit.health import health_routes
from service_kit.logging import configure_logging, get_logger
from service_kit.mongo import Doc, build_mongo
from service_kit.publishing import BrokerTopic
from service_kit.serving import asyncapi_app, serve
from service_kit.tracing import build_tracer_provider

from evidence import handlers
from evidence.adapters import mongo as mongo_names
from evidence.builder import Builder
from evidence.errors import ConfigurationError
from evidence.item_log import ItemLog
from evidence.ledger_store import LedgerStore
from evidence.metrics import EvidenceMetrics
from evidence.routes import EVIDENCE_SOURCES, evidence_routes
from evidence.settings import EvidenceSettings
from schemas import topics

log = get_logger(__name__)


@dataclass
class EvidenceService:
    """The running parts of the service, for main() and for tests."""

    settings: EvidenceSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Doc]
    builder: Builder
    registry: CollectorRegistry

    async def prepare(self) -> None:
        """Create topics (idempotent)."""
        s = self.settings
        names = [*EVIDENCE_SOURCES, topics.EVIDENCE_REQUESTS, topics.EVIDENCE_EVENTS]
        await ensure_topics(s.kafka_bootstrap, [s.topic(n) for n in names])

    async def start(self) -> None:
        """Prepare and start consuming."""
        await self.prepare()
        await self.broker.start()

    async def stop(self) -> None:
        """Stop consuming and close clients."""
        await self.broker.stop()
        await self.mongo.close()

    def asgi(self) -> AsgiFastStream:
        """The process's ASGI app: the broker's lifespan plus /healthz, /readyz and /metrics."""
        return AsgiFastStream(
            self.broker,
            logger=logging.getLogger(f"{self.settings.service_name}.app"),
            asgi_routes=health_routes(self.broker, self.mongo, self.registry),
            on_startup=[self.prepare],
        )


def build_app(
    settings: EvidenceSettings | None = None, *, tracer_provider: TracerProvider | None = None, clock: Any = None
) -> EvidenceService:
    """Wire the service from settings; tests pass their own settings, tracer provider and clock."""
    settings = settings or EvidenceSettings()
    key = settings.platform_key()
    tracer_provider = tracer_provider or build_tracer_provider(settings.service_name)
    registry = CollectorRegistry()
    broker, dead_letters = build_broker(
        settings, group=settings.group_id, tracer_provider=tracer_provider, registry=registry
    )
    mongo = build_mongo(settings)
    db = mongo[settings.mongo_db]
    now = clock or (lambda: datetime.now(UTC))
    items = ItemLog(db[mongo_names.ITEMS])
    builder = Builder(
        items=items,
        packs=db[mongo_names.PACKS],
        bucket=AsyncGridFSBucket(db, bucket_name=settings.bucket),
        ledger=LedgerStore(db[mongo_names.LEDGER_ENTRIES], db[mongo_names.LEDGER_HEADS], key, now),
        key=key,
        metrics=EvidenceMetrics(registry),
        clock=now,
    )
    outcomes = settings.topic(topics.EVIDENCE_EVENTS)
    broker.publisher(outcomes, title="evidence:evidence.events.v1", schema=EvidenceFact)
    deps = handlers.Deps(
        items=items, builder=builder, outcomes=BrokerTopic(broker, outcomes), dead_letter=dead_letters.send_record
    )
    broker.include_router(evidence_routes(settings, deps))
    return EvidenceService(settings, broker, mongo, builder, registry)


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on EVIDENCE_HTTP_PORT (default 8084)."""
    settings = EvidenceSettings()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    try:
        service = build_app(settings)
    except ConfigurationError as exc:
        log.error("cannot start", reason=str(exc))
        raise SystemExit(2) from None
    serve(service.asgi(), env_prefix="EVIDENCE_", default_port=8084)


def asyncapi() -> Any:
    """AsyncAPI document factory for `faststream docs gen --factory evidence.app:asyncapi`."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from pydantic import SecretStr

    # Defaults only (model_construct reads no environment); a throwaway key: the document holds none.
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    docs_only = EvidenceSettings.model_construct(signing_key=SecretStr(pem.decode()))
    service = build_app(docs_only, tracer_provider=SdkTracerProvider())
    return asyncapi_app(
        service.broker,
        title="Trust Portal evidence",
        description="Evidence and pack requests in; built and failed packs out (CloudEvents 1.0, structured JSON).",
    )
