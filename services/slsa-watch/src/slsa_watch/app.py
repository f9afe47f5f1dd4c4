"""Composition root of SLSA watch: build_app() wires settings to adapters; nothing runs at import.

Subscribers are in routes.py, what they do in handlers.py (pure rules in domain.py, verdict.py, dsse.py,
provenance.py; folds in projections.py), the ports handlers take in ports.py, adapters in adapters/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from schemas.provenance import ProvenanceVerdict
from schemas.read_models import SlsaRepoStatus
from service_kit.broker import build_broker
from service_kit.lifecycle import Lifecycle, run
from service_kit.logging import get_logger
from service_kit.mongo import ProjectionStore, build_mongo
from service_kit.periodic import Periodic
from service_kit.ports import system_clock
from service_kit.publishing import BulkPublisher
from service_kit.serving import asyncapi_app
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


@dataclass(kw_only=True)
class SlsaWatch(Lifecycle):
    """The running service: its lifecycle, and the parts tests look at."""

    deps: handlers.Deps
    verdicts: BulkPublisher
    runners: RunnerWatch


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
        clock=clock or system_clock,
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
    # The projector refreshes the runner pools' figures every runner_tick_s, between events too.
    ticker = Periodic("runner-pools", settings.runner_tick_s, runners.refresh)
    return SlsaWatch(
        settings=settings,
        broker=broker,
        mongo=mongo,
        registry=registry,
        topics=(topics.PROVENANCE_SUBMITTED, topics.PROVENANCE_EVENTS, topics.POLICY_EVENTS, topics.RUNNER_EVENTS),
        before=[publisher],
        after=[ticker] if settings.role != "verifier" else [],
        deps=deps,
        verdicts=publisher,
        runners=runners,
    )


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on SLSA_WATCH_HTTP_PORT (default 8083)."""
    run(build_app, SlsaWatchSettings(), env_prefix="SLSA_WATCH_", default_port=8083)


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
