"""Composition root of the onboarding service: build_app() wires settings to adapters; nothing runs at import.

Subscribers are in routes.py, what they do in handlers.py (pure rules in domain.py, folds in
projections.py, the ping in verification.py), the ports in ports.py, adapters in adapters/, the
background verifications in worker.py.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from schemas.tenant import TenantFact
from service_kit.broker import build_broker
from service_kit.lifecycle import Lifecycle, run
from service_kit.logging import get_logger
from service_kit.mongo import build_mongo
from service_kit.ports import system_clock
from service_kit.publishing import BrokerTopic
from service_kit.serving import asyncapi_app
from service_kit.tracing import build_tracer_provider

from onboarding import handlers
from onboarding.adapters import mongo as mongo_adapter
from onboarding.adapters.http import GuardedSender, Resolver, system_resolver
from onboarding.adapters.secrets import SecretBox
from onboarding.adapters.webhooks import TracedPinger
from onboarding.domain import Rules
from onboarding.errors import ConfigurationError
from onboarding.metrics import OnboardingMetrics
from onboarding.routes import onboarding_routes
from onboarding.settings import OnboardingSettings
from onboarding.ssrf import UrlPolicy
from onboarding.verification import RetrySchedule
from onboarding.worker import VerificationWorker
from schemas import topics

log = get_logger(__name__)


@dataclass(kw_only=True)
class Onboarding(Lifecycle):
    """The running service: its lifecycle, and the parts tests look at."""

    sender: GuardedSender
    deps: handlers.Deps
    worker: VerificationWorker


def build_app(
    settings: OnboardingSettings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    resolver: Resolver = system_resolver,
    clock: Any = None,
) -> Onboarding:
    """Wire the service from settings; tests pass their own settings, tracer provider and resolver."""
    settings = settings or OnboardingSettings()
    if settings.secrets_key is None:
        raise ConfigurationError(
            "ONBOARDING_SECRETS_KEY is not set: it seals webhook secrets at rest (generate one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )
    tracer_provider = tracer_provider or build_tracer_provider(settings.service_name)
    registry = CollectorRegistry()
    broker, _ = build_broker(settings, group=settings.group_id, tracer_provider=tracer_provider, registry=registry)
    mongo = build_mongo(settings)
    policy = UrlPolicy(allow_hosts=frozenset(h.lower() for h in settings.webhook_allow_hosts))
    sender = GuardedSender(
        policy, timeout_s=settings.webhook_timeout_s, resolver=resolver, tracer_provider=tracer_provider
    )
    schedule = RetrySchedule(
        max_attempts=settings.webhook_max_attempts,
        backoff_s=settings.webhook_backoff_s,
        backoff_max_s=settings.webhook_backoff_max_s,
        retry_after_max_s=settings.webhook_retry_after_max_s,
    )
    now = clock or system_clock
    metrics = OnboardingMetrics(registry)
    leases = mongo_adapter.leases(
        mongo,
        settings.mongo_db,
        timedelta(seconds=settings.verify_lease_s),
        owner=f"{socket.gethostname()}/{uuid.uuid4()}",
    )
    facts_topic = settings.topic(topics.TENANT_EVENTS)
    deps = handlers.Deps(
        tenants=mongo_adapter.tenant_store(mongo, settings.mongo_db),
        members=mongo_adapter.member_store(mongo, settings.mongo_db),
        facts=BrokerTopic(broker, facts_topic),
        webhooks=TracedPinger(sender, schedule, metrics, now, tracer_provider),
        leases=leases,
        secrets=SecretBox(settings.secrets_key),
        rules=Rules(plans=settings.plans, urls=policy),
        clock=now,
    )
    worker = VerificationWorker(
        handlers.Verifications(deps), concurrency=settings.verify_concurrency, sweep_interval_s=settings.verify_sweep_s
    )
    metrics.count_in_flight(worker)
    # Declared for the AsyncAPI document; facts go out through BrokerTopic (CloudEvents headers).
    broker.publisher(facts_topic, title="onboarding:tenant.events.v1", schema=TenantFact)
    broker.include_router(onboarding_routes(settings, deps, worker))
    return Onboarding(
        settings=settings,
        broker=broker,
        mongo=mongo,
        registry=registry,
        topics=(topics.TENANT_INTAKE, topics.TENANT_EVENTS),
        prepare_steps=[partial(mongo_adapter.ensure_indexes, mongo, settings.mongo_db)],
        after=[worker],  # resumes interrupted verifications once consuming; drains after it stops
        closers=[sender.aclose],
        sender=sender,
        deps=deps,
        worker=worker,
    )


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on ONBOARDING_HTTP_PORT (default 8081)."""
    run(build_app, OnboardingSettings(), env_prefix="ONBOARDING_", default_port=8081)


def asyncapi() -> Any:
    """AsyncAPI document factory for `faststream docs gen --factory onboarding.app:asyncapi`."""
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from pydantic import SecretStr

    # Defaults only (model_construct reads no environment), so the document is the same everywhere.
    docs_only = OnboardingSettings.model_construct(secrets_key=SecretStr("x" * 43 + "="))
    service = build_app(docs_only, tracer_provider=SdkTracerProvider())
    return asyncapi_app(
        service.broker,
        title="Trust Portal onboarding",
        description="Partner onboarding: tenant requests in, tenant facts out (CloudEvents 1.0, structured JSON).",
    )
