"""Composition root of SLSA watch: build_app() wires settings to adapters; nothing runs at import.

Subscribers are in routes.py, what they do in handlers.py (pure rules in domain.py, verdict.py, dsse.py,
provenance.py; folds in projections.py), the ports handlers take in ports.py, adapters in adapters/.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from schemas.provenance import ProvenanceVerdict
from schemas.read_models import SlsaRepoStatus
from service_kit.broker import build_broker, ensure_topics
from service_kit.health import health_routes
from service_kit.logging import configure_logging, get_logger
from service_kit.mongo import Doc, ProjectionStore, build_mongo
from service_kit.publishing import BulkPublisher
from service_kit.serving import asyncapi_app, serve
from service_kit.tracing import build_tracer_provider

from schemas import topics
from slsa_watch import handlers
from slsa_watch.adapters.kafka import TopicPublisher
from slsa_watch.adapters.mongo import POLICIES, REPOS, RUNNER_JOBS, RUNNER_POOLS
from slsa_watch.metrics import SlsaMetrics
from slsa_watch.policies import PolicyBook, StoredPolicy
from slsa_watch.routes import projection_routes, verifier_routes
from slsa_watch.runner_watch import RunnerGauges, RunnerWatch
from slsa_watch.runners import JobRecord, Pools, PoolSnapshot
from slsa_watch.settings import SlsaWatchSettings

log = get_logger(__name__)


@dataclass
class SlsaWatch:
    """The running parts of the service, for main() and for tests."""

    settings: SlsaWatchSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Doc]
    deps: handlers.Deps
    registry: CollectorRegistry
    verdicts: BulkPublisher
    runners: RunnerWatch
    ticker: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        """Create topics (idempotent)."""
        s = self.settings
        names = [topics.PROVENANCE_SUBMITTED, topics.PROVENANCE_EVENTS, topics.POLICY_EVENTS, topics.RUNNER_EVENTS]
        await ensure_topics(s.kafka_bootstrap, [s.topic(n) for n in names])

    async def start(self) -> None:
        """Prepare and start consuming."""
        await self.prepare()
        await self.verdicts.start()
        await self.broker.start()
        await self.start_ticker()

    async def stop(self) -> None:
        """Stop consuming (finishing the batch in hand) and close clients."""
        await self.stop_ticker()
        await self.broker.stop()
        await self.verdicts.stop()
        await self.mongo.close()

    async def start_ticker(self) -> None:
        """Refresh the runner pools' figures every runner_tick_s, between events too (projector role)."""
        if self.settings.role != "verifier":
            self.ticker = asyncio.create_task(self.tick_forever())

    async def stop_ticker(self) -> None:
        """Stop refreshing."""
        if self.ticker is not None:
            self.ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.ticker
            self.ticker = None

    async def tick_forever(self) -> None:
        """The ticker's loop: a failed refresh (MongoDB or Kafka away) is logged and tried again."""
        while True:
            await asyncio.sleep(self.settings.runner_tick_s)
            try:
                await self.runners.refresh()
            except Exception as exc:
                log.warning("runner pools not refreshed", error=f"{type(exc).__name__}: {exc}")

    def asgi(self) -> AsgiFastStream:
        """The process's ASGI app: the broker's lifespan plus /healthz, /readyz and /metrics."""
        return AsgiFastStream(
            self.broker,
            logger=logging.getLogger(f"{self.settings.service_name}.app"),
            asgi_routes=health_routes(self.broker, self.mongo, self.registry),
            on_startup=[self.prepare, self.verdicts.start],
            after_startup=[self.start_ticker],
            on_shutdown=[self.stop_ticker],
            after_shutdown=[self.verdicts.stop],
        )


def build_app(
    settings: SlsaWatchSettings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    clock: Any = None,
) -> SlsaWatch:
    """Wire the service from settings; tests pass their own settings, tracer provider and clock."""
    settings = settings or SlsaWatchSettings()
    tracer_provider = tracer_provider or build_tracer_provider(settings.service_name)
    registry = CollectorRegistry()
    broker, dead_letters = build_broker(
        settings, group=settings.group_id, tracer_provider=tracer_provider, registry=registry
    )
    mongo = build_mongo(settings)
    db = mongo[settings.mongo_db]
    verdicts_topic = settings.topic(topics.PROVENANCE_EVENTS)

    publisher = BulkPublisher(settings.kafka_bootstrap, f"{settings.service_name}-verdicts")
    deps = handlers.Deps(
        policies=PolicyBook(ProjectionStore(db[POLICIES], StoredPolicy), settings.policy_cache_s),
        repos=ProjectionStore(db[REPOS], SlsaRepoStatus),
        verdicts=TopicPublisher(publisher, verdicts_topic),
        dead_letter=dead_letters.send_record,
        metrics=SlsaMetrics(registry),
        clock=clock or (lambda: datetime.now(UTC)),
    )
    runners = RunnerWatch(
        Pools(settings.runner_pools, settings.runner_wait_bound_s, timedelta(seconds=settings.runner_window_s)),
        ProjectionStore(db[RUNNER_JOBS], JobRecord),
        ProjectionStore(db[RUNNER_POOLS], PoolSnapshot),
        RunnerGauges(registry),
        TopicPublisher(publisher, settings.topic(topics.RUNNER_EVENTS)),
        deps.clock,
    )
    # Declared for the AsyncAPI document; verdicts go out a batch at a time through the BulkPublisher.
    broker.publisher(verdicts_topic, title="slsa-watch:provenance.events.v1", schema=ProvenanceVerdict)
    if settings.role != "projector":
        broker.include_router(verifier_routes(settings, deps))
    if settings.role != "verifier":
        broker.include_router(projection_routes(settings, deps, runners))
    return SlsaWatch(settings, broker, mongo, deps, registry, publisher, runners)


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on SLSA_WATCH_HTTP_PORT (default 8083)."""
    settings = SlsaWatchSettings()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    serve(build_app(settings).asgi(), env_prefix="SLSA_WATCH_", default_port=8083)


def asyncapi() -> Any:
    """AsyncAPI document factory for `faststream docs gen --factory slsa_watch.app:asyncapi` (every role)."""
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

    # Defaults only (model_construct reads no environment), so the document is the same everywhere.
    service = build_app(SlsaWatchSettings.model_construct(), tracer_provider=SdkTracerProvider())
    return asyncapi_app(
        service.broker,
        title="Trust Portal SLSA watch",
        description="Provenance submissions and trust policies in, verdicts out; verdicts folded into the SLSA map; "
        "hermetic runner telemetry in, saturation signals out (CloudEvents 1.0, structured JSON).",
    )
