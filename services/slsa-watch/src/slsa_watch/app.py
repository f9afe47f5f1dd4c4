"""Composition root of SLSA watch: build_app() wires settings to adapters; nothing runs at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker, KafkaMessage
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter
from pymongo import AsyncMongoClient
from schemas.envelope import CloudEvent
from schemas.policy import PolicyFact, TrustPolicyUpdated
from schemas.provenance import VERDICT, ProvenanceVerdict
from schemas.read_models import SlsaAdoption, SlsaRepoStatus
from schemas.runner import RunnerEvent, RunnerQueueRecovered, RunnerQueueSaturated
from service_kit.broker import build_broker, ensure_topics
from service_kit.decoding import decode_each, raw_batch_decoder
from service_kit.health import health_routes
from service_kit.logging import configure_logging, get_logger
from service_kit.mongo import Doc, ProjectionStore, build_mongo
from service_kit.publishing import BulkPublisher
from service_kit.serving import asyncapi_app, serve
from service_kit.tracing import build_tracer_provider

from schemas import topics
from slsa_watch import handlers
from slsa_watch.metrics import SlsaMetrics
from slsa_watch.policies import PolicyBook, StoredPolicy
from slsa_watch.runner_watch import RunnerGauges, RunnerWatch
from slsa_watch.runners import JobRecord, Pools, PoolSnapshot
from slsa_watch.settings import SlsaWatchSettings

log = get_logger(__name__)
RUNNER_EVENT: TypeAdapter[RunnerEvent] = TypeAdapter(RunnerEvent)


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

    async def adoption(self) -> SlsaAdoption:
        """Organisation-wide adoption, from the SLSA map."""
        rows = await self.deps.repos.find({})
        return SlsaAdoption.of(rows, self.settings.target_l3_repos)

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

    async def publish(verdicts: Sequence[ProvenanceVerdict]) -> None:
        await publisher.publish(verdicts, topic=verdicts_topic)

    metrics = SlsaMetrics(registry)
    deps = handlers.Deps(
        policies=PolicyBook(ProjectionStore(db["slsa_policies"], StoredPolicy), settings.policy_cache_s),
        repos=ProjectionStore(db["slsa_repos"], SlsaRepoStatus),
        publish=publish,
        dead_letter=dead_letters.send_record,
        metrics=metrics,
        clock=clock or (lambda: datetime.now(UTC)),
    )
    runners_topic = settings.topic(topics.RUNNER_EVENTS)

    async def signal(events: Sequence[CloudEvent]) -> None:
        await publisher.publish(events, topic=runners_topic)

    runners = RunnerWatch(
        Pools(settings.runner_pools, settings.runner_wait_bound_s, timedelta(seconds=settings.runner_window_s)),
        ProjectionStore(db["runner_jobs"], JobRecord),
        ProjectionStore(db["runner_pools"], PoolSnapshot),
        RunnerGauges(registry),
        signal,
        deps.clock,
    )
    service = SlsaWatch(settings, broker, mongo, deps, registry, publisher, runners)

    # Declared for the AsyncAPI document; verdicts go out a batch at a time through the BulkPublisher.
    broker.publisher(verdicts_topic, title="slsa-watch:provenance.events.v1", schema=ProvenanceVerdict)

    if settings.role != "projector":
        add_verifier(service)
    if settings.role != "verifier":
        add_projections(service)
    return service


def add_verifier(service: SlsaWatch) -> None:
    """The verifier: submissions and trust policies in, verdicts out (any number of replicas)."""
    settings, broker, deps = service.settings, service.broker, service.deps

    @broker.subscriber(
        settings.topic(topics.PROVENANCE_SUBMITTED),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=settings.batch_max_records,
        decoder=raw_batch_decoder,
        title="slsa-watch:provenance.submitted.v1",
        description="Verifies each submission against its tenant's trust policy; one verdict per submission.",
    )
    async def on_submissions(bodies: list[bytes], message: KafkaMessage) -> None:
        await handlers.verify_batch(bodies, message.raw_message, deps)

    @broker.subscriber(
        settings.topic(topics.POLICY_EVENTS),
        group_id=settings.policy_group_id,
        auto_offset_reset="earliest",
        title="slsa-watch-policies:policy.events.v1",
        description="Keeps each tenant's trust policy in force (the newest update wins).",
    )
    async def on_policy(event: PolicyFact) -> None:
        if isinstance(event, TrustPolicyUpdated):
            await deps.policies.record(event)


def add_projections(service: SlsaWatch) -> None:
    """The projector: the SLSA map and the runner pools' figures (exactly one replica)."""
    settings, broker, deps, runners = service.settings, service.broker, service.deps, service.runners

    @broker.subscriber(
        settings.topic(topics.PROVENANCE_EVENTS),
        group_id=settings.map_group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="slsa-watch-map:provenance.events.v1",
        description="Folds verdicts into the SLSA map (tenant, repository) and the organisation's adoption.",
    )
    async def on_verdicts(bodies: list[bytes], message: KafkaMessage) -> None:
        verdicts = [
            v for v, _ in await decode_each(bodies, message.raw_message, VERDICT.validate_json, deps.dead_letter)
        ]
        if await handlers.fold_verdicts(verdicts, deps):
            deps.metrics.adoption(await service.adoption())

    @broker.subscriber(
        settings.topic(topics.RUNNER_EVENTS),
        group_id=settings.runner_group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="slsa-watch-runners:runner.events.v1",
        description="Folds hermetic job events into queue depth, waits and utilisation per pool; signals saturation.",
    )
    async def on_runner_events(bodies: list[bytes], message: KafkaMessage) -> None:
        events = await decode_each(bodies, message.raw_message, RUNNER_EVENT.validate_json, deps.dead_letter)
        # our own saturation signals share the topic
        await runners.apply([e for e, _ in events if not isinstance(e, RunnerQueueSaturated | RunnerQueueRecovered)])


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
