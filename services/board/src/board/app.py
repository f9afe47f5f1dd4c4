"""Composition root of the board service: build_app() wires settings to adapters; nothing runs at import.

Subscribers are in routes.py, what they do in handlers.py, the folds in projections.py, the revenue
report in revenue.py (pure), the payments import in payments.py (pure), reads for the CLI in store.py.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from gridfs import AsyncGridFSBucket
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from schemas.board import BoardFact
from schemas.evidence import AnchorRequested
from schemas.revenue import RevenueReport
from service_kit.broker import build_broker
from service_kit.lifecycle import Lifecycle, run
from service_kit.mongo import ProjectionStore, build_mongo
from service_kit.periodic import Periodic
from service_kit.ports import system_clock
from service_kit.publishing import BrokerTopic
from service_kit.serving import asyncapi_app
from service_kit.tracing import build_tracer_provider

from board import handlers
from board.adapters import mongo as mongo_names
from board.builder import PackBuilder
from board.errors import ConfigurationError
from board.facts import Fact
from board.links import PortalLinks
from board.metrics import PackMetrics, ProbeMetrics
from board.prober import Prober, checks
from board.projections import ProbeHour
from board.reports import RevenueViews
from board.revenue import Invoice, Payment
from board.routes import FACT_SOURCES, board_routes
from board.settings import BoardSettings
from board.sources import StoredSources
from schemas import topics


def build_app(settings: BoardSettings | None = None, *, tracer_provider: TracerProvider | None = None) -> Lifecycle:
    """Wire the service from settings; tests pass their own settings and tracer provider."""
    settings = settings or BoardSettings()
    tracer_provider = tracer_provider or build_tracer_provider(settings.service_name)
    registry = CollectorRegistry()
    broker, dead_letters = build_broker(
        settings, group=settings.group_id, tracer_provider=tracer_provider, registry=registry
    )
    mongo = build_mongo(settings)
    db = mongo[settings.mongo_db]
    links_client = httpx.AsyncClient(timeout=5.0)
    sources = StoredSources(db)
    revenue = RevenueViews(
        sources.invoices, sources.payments, ProjectionStore(db[mongo_names.REVENUE], RevenueReport), system_clock,
        terms_days=settings.payment_terms_days,
    )  # fmt: skip
    builder = PackBuilder(
        packs=db[mongo_names.PACKS],
        bucket=AsyncGridFSBucket(db, bucket_name=mongo_names.PACK_BUCKET),
        sources=sources,
        config=settings.pack_settings(),
        completeness=settings.completeness(PortalLinks(links_client, settings.portal_public_url)),
        clock=system_clock,
        metrics=PackMetrics(registry),
    )
    board_events = settings.topic(topics.BOARD_EVENTS)
    evidence_requests = settings.topic(topics.EVIDENCE_REQUESTS)
    broker.publisher(board_events, title="board:board.events.v1", schema=BoardFact)
    broker.publisher(evidence_requests, title="board:evidence.requests.v1", schema=AnchorRequested)
    deps = handlers.Deps(
        invoices=ProjectionStore(db[mongo_names.INVOICES], Invoice),
        payments=ProjectionStore(db[mongo_names.PAYMENTS], Payment),
        probe_hours=ProjectionStore(db[mongo_names.PROBE_HOURS], ProbeHour),
        facts=ProjectionStore(db[mongo_names.FACTS], Fact),
        packs=builder,
        board_events=BrokerTopic(broker, board_events),
        evidence_requests=BrokerTopic(broker, evidence_requests),
        dead_letter=dead_letters.send_record,
    )
    broker.include_router(board_routes(settings, deps))
    return Lifecycle(
        settings=settings,
        broker=broker,
        mongo=mongo,
        registry=registry,
        topics=(topics.BILLING_EVENTS, topics.SLA_EVENTS, topics.BOARD_REQUESTS, topics.BOARD_EVENTS,
                topics.EVIDENCE_REQUESTS, *FACT_SOURCES),
        after=[Periodic("revenue", settings.revenue_refresh_s, revenue.refresh)],
        closers=[links_client.aclose],
    )  # fmt: skip


def build_prober(settings: BoardSettings | None = None, *, tracer_provider: TracerProvider | None = None) -> Lifecycle:
    """The prober process (its own Deployment): a round of probes every BOARD_PROBE_INTERVAL_S, published."""
    settings = settings or BoardSettings()
    if bool(settings.probe_tenant) != (settings.probe_api_key is not None):
        raise ConfigurationError(
            "BOARD_PROBE_TENANT and BOARD_PROBE_API_KEY go together: the synthetic tenant and its read-only key"
        )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per probe would drown the logs
    tracer_provider = tracer_provider or build_tracer_provider(f"{settings.service_name}-prober")
    registry = CollectorRegistry()
    broker, _ = build_broker(settings, group=f"{settings.group_id}-prober", tracer_provider=tracer_provider,
                             registry=registry)  # fmt: skip
    client = httpx.AsyncClient(timeout=settings.probe_timeout_s, follow_redirects=False)
    key = settings.probe_api_key.get_secret_value() if settings.probe_api_key else None
    prober = Prober(
        client, checks(settings.portal_url, settings.probe_tenant, key),
        BrokerTopic(broker, settings.topic(topics.SLA_EVENTS)), system_clock,
        prober_id=settings.prober_id, buffer=settings.probe_buffer, metrics=ProbeMetrics(registry),
    )  # fmt: skip
    return Lifecycle(
        settings=settings, broker=broker, mongo=build_mongo(settings), registry=registry, topics=(topics.SLA_EVENTS,),
        after=[Periodic("probe", settings.probe_interval_s, prober.round)], closers=[client.aclose],
    )  # fmt: skip


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on BOARD_HTTP_PORT (default 8085)."""
    run(build_app, BoardSettings(), env_prefix="BOARD_", default_port=8085)


def probe_main() -> None:
    """Run the prober with /healthz, /readyz and /metrics on BOARD_PROBE_HTTP_PORT (default 8086)."""
    run(build_prober, BoardSettings(), env_prefix="BOARD_PROBE_", default_port=8086)


def asyncapi() -> Any:
    """AsyncAPI document factory for `faststream docs gen --factory board.app:asyncapi`."""
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

    service = build_app(BoardSettings.model_construct(), tracer_provider=SdkTracerProvider())
    return asyncapi_app(
        service.broker,
        title="Trust Portal board",
        description="Billing, SLA and the platform's facts in; board packs built and anchored (CloudEvents 1.0).",
    )
