"""Composition root of the evidence service: build_app() wires settings to adapters; nothing runs at import.

Subscribers are in routes.py, what they do in handlers.py (the builder in builder.py; pure parts in
pack.py, merkle.py, items.py, ledger.py, verify.py), the ports in ports.py, adapters in adapters/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridfs import AsyncGridFSBucket
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from schemas.evidence import EvidenceFact
from service_kit.broker import build_broker
from service_kit.lifecycle import Lifecycle, run
from service_kit.logging import get_logger
from service_kit.mongo import build_mongo
from service_kit.ports import system_clock
from service_kit.publishing import BrokerTopic
from service_kit.serving import asyncapi_app
from service_kit.tracing import build_tracer_provider

from evidence import handlers
from evidence.adapters import mongo as mongo_names
from evidence.anchors import Anchorer
from evidence.builder import Builder
from evidence.item_log import ItemLog
from evidence.ledger_store import LedgerStore
from evidence.metrics import EvidenceMetrics
from evidence.routes import EVIDENCE_SOURCES, evidence_routes
from evidence.settings import EvidenceSettings
from schemas import topics

log = get_logger(__name__)


@dataclass(kw_only=True)
class EvidenceService(Lifecycle):
    """The running service: its lifecycle, and the builder tests look at."""

    builder: Builder


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
    now = clock or system_clock
    items = ItemLog(db[mongo_names.ITEMS])
    ledger = LedgerStore(db[mongo_names.LEDGER_ENTRIES], db[mongo_names.LEDGER_HEADS], key, now)
    builder = Builder(
        items=items,
        packs=db[mongo_names.PACKS],
        bucket=AsyncGridFSBucket(db, bucket_name=settings.bucket),
        ledger=ledger,
        key=key,
        metrics=EvidenceMetrics(registry),
        clock=now,
    )
    outcomes = settings.topic(topics.EVIDENCE_EVENTS)
    broker.publisher(outcomes, title="evidence:evidence.events.v1", schema=EvidenceFact)
    deps = handlers.Deps(
        items=items,
        builder=builder,
        anchors=Anchorer(db[mongo_names.ANCHORS], ledger, now),
        outcomes=BrokerTopic(broker, outcomes),
        dead_letter=dead_letters.send_record,
    )
    broker.include_router(evidence_routes(settings, deps))
    return EvidenceService(
        settings=settings,
        broker=broker,
        mongo=mongo,
        registry=registry,
        topics=(*EVIDENCE_SOURCES, topics.EVIDENCE_REQUESTS, topics.EVIDENCE_EVENTS),
        builder=builder,
    )


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on EVIDENCE_HTTP_PORT (default 8084)."""
    run(build_app, EvidenceSettings(), env_prefix="EVIDENCE_", default_port=8084)


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
