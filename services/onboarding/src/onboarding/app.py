"""Composition root of the onboarding service: build_app() wires settings to adapters; nothing runs at import."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from schemas.envelope import CloudEvent
from schemas.tenant import TenantFact, TenantRequested
from service_kit.broker import build_broker, ensure_topics
from service_kit.health import health_routes
from service_kit.logging import configure_logging, get_logger
from service_kit.mongo import Doc, build_mongo
from service_kit.publishing import publish_event
from service_kit.serving import asyncapi_app, serve
from service_kit.tracing import build_tracer_provider

from onboarding import handlers
from onboarding.adapters import mongo as mongo_adapter
from onboarding.adapters.http import GuardedSender, Resolver, system_resolver
from onboarding.adapters.secrets import SecretBox
from onboarding.domain import PingOutcome, Rules, TenantRecord
from onboarding.metrics import OnboardingMetrics
from onboarding.settings import OnboardingSettings
from onboarding.ssrf import UrlPolicy
from onboarding.verification import RetrySchedule, verify_webhook
from onboarding.worker import VerificationWorker
from schemas import topics

log = get_logger(__name__)


class ConfigurationError(RuntimeError):
    """The service cannot start with these settings; the message says which one to fix."""


@dataclass
class Onboarding:
    """The running parts of the service, for main() and for tests."""

    settings: OnboardingSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Doc]
    sender: GuardedSender
    deps: handlers.Deps
    worker: VerificationWorker
    registry: CollectorRegistry

    async def prepare(self) -> None:
        """Create topics and indexes (idempotent)."""
        s = self.settings
        await ensure_topics(s.kafka_bootstrap, [s.topic(topics.TENANT_INTAKE), s.topic(topics.TENANT_EVENTS)])
        await mongo_adapter.ensure_indexes(self.mongo, s.mongo_db)

    async def start(self) -> None:
        """Prepare, start consuming, and resume interrupted verifications."""
        await self.prepare()
        await self.broker.start()
        await self.worker.start()

    async def stop(self) -> None:
        """Stop consuming (finishing the message in hand), let verifications finish, close clients."""
        await self.broker.stop()
        await self.worker.stop()
        await self.sender.aclose()
        await self.mongo.close()

    def asgi(self) -> AsgiFastStream:
        """The process's ASGI app: the broker's lifespan plus /healthz, /readyz and /metrics."""
        return AsgiFastStream(
            self.broker,
            logger=logging.getLogger(f"{self.settings.service_name}.app"),
            asgi_routes=health_routes(self.broker, self.mongo, self.registry),
            on_startup=[self.prepare],
            after_startup=[self.worker.start],
            on_shutdown=[self.worker.stop],
        )


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
    now = clock or (lambda: datetime.now(UTC))
    tracer = tracer_provider.get_tracer("onboarding")

    async def verify(record: TenantRecord, secret: str, msg_id: str) -> PingOutcome:
        with tracer.start_as_current_span("webhook.verify", attributes={"tenant.id": record.slug}) as span:
            outcome = await verify_webhook(
                record.webhook_url,
                slug=record.slug,
                secret=secret,
                msg_id=msg_id,
                send=sender,
                schedule=schedule,
                sleep=asyncio.sleep,
                clock=now,
            )
            span.set_attribute("webhook.attempts", outcome.attempts)
            span.set_attribute("webhook.ok", outcome.ok)
            log.info(
                "webhook verification",
                tenant=record.slug,
                ok=outcome.ok,
                attempts=outcome.attempts,
                status_code=outcome.status_code,
                reason=outcome.reason or None,
            )
            metrics.observe(outcome, (now() - record.requested_at).total_seconds())
            return outcome

    async def publish(event: CloudEvent) -> None:
        await publish_event(broker, event, topic=settings.topic(topics.TENANT_EVENTS))

    leases = mongo_adapter.leases(
        mongo,
        settings.mongo_db,
        timedelta(seconds=settings.verify_lease_s),
        owner=f"{socket.gethostname()}/{uuid.uuid4()}",
    )

    async def due() -> list[str]:
        return await leases.due(now())

    async def verify_one(slug: str) -> None:
        async with leases.held(slug, now):
            await handlers.verify_tenant(slug, deps)

    worker: VerificationWorker = VerificationWorker(
        verify_one, due, concurrency=settings.verify_concurrency, sweep_interval_s=settings.verify_sweep_s
    )
    metrics = OnboardingMetrics(registry, lambda: worker.in_flight)
    deps = handlers.Deps(
        tenants=mongo_adapter.tenant_store(mongo, settings.mongo_db),
        members=mongo_adapter.member_store(mongo, settings.mongo_db),
        publish=publish,
        verify=verify,
        claim=leases.claim,
        hold=leases.hold,
        schedule_verification=worker.schedule,
        secrets=SecretBox(settings.secrets_key),
        rules=Rules(plans=settings.plans, urls=policy),
        clock=now,
    )

    # Declared for the AsyncAPI document; facts go out through publish_event (CloudEvents headers).
    broker.publisher(settings.topic(topics.TENANT_EVENTS), title="onboarding:tenant.events.v1", schema=TenantFact)

    @broker.subscriber(
        settings.topic(topics.TENANT_INTAKE),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        title="onboarding:tenant.intake.v1",
        description="Tenant requests from partners and the batch CLI.",
    )
    async def on_tenant_requested(event: TenantRequested) -> None:
        await handlers.on_tenant_requested(event, deps)

    @broker.subscriber(
        settings.topic(topics.TENANT_EVENTS),
        group_id=settings.cohort_group_id,
        auto_offset_reset="earliest",
        title="onboarding-cohorts:tenant.events.v1",
        description="Folds tenant facts into cohort metrics.",
    )
    async def on_tenant_fact(event: TenantFact) -> None:
        await handlers.on_tenant_fact(event, deps)

    return Onboarding(settings, broker, mongo, sender, deps, worker, registry)


def main() -> None:
    """Run the service with /healthz, /readyz and /metrics on ONBOARDING_HTTP_PORT (default 8081)."""
    settings = OnboardingSettings()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    try:
        service = build_app(settings)
    except ConfigurationError as exc:
        log.error("cannot start", reason=str(exc))
        raise SystemExit(2) from None
    serve(service.asgi(), env_prefix="ONBOARDING_", default_port=8081)


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
