"""Onboarding's intake route on FastStream's TestKafkaBroker with fakes (the same suite runs on Kafka and FerretDB)."""

from __future__ import annotations

import contextlib

from cryptography.fernet import Fernet
from faststream.kafka import TestKafkaBroker
from onboarding import handlers
from onboarding.adapters.secrets import SecretBox
from onboarding.domain import PingOutcome, Rules, TenantRecord
from onboarding.routes import onboarding_routes
from onboarding.settings import OnboardingSettings
from onboarding.ssrf import UrlPolicy
from onboarding.worker import VerificationWorker
from pydantic import SecretStr
from schemas.read_models import TenantState
from schemas.tenant import TenantRequested, TenantRequestedData
from service_kit.broker import build_broker
from service_kit.publishing import event_headers
from service_kit.testing import InMemoryProjectionStore, RecordingPublisher

from schemas import topics
from tests.behaviours import onboarding_intake
from tests.unit.onboarding.test_handlers import NOW


class FakeLeases:
    """Leases over the in-memory tenants: a tenant awaiting verification is claimable."""

    def __init__(self, tenants: InMemoryProjectionStore[TenantRecord]) -> None:
        self.tenants = tenants

    def hold(self, record: TenantRecord, now) -> TenantRecord:
        return record.model_copy(update={"lease_until": now, "lease_owner": "unit"})

    async def claim(self, slug: str, now) -> TenantRecord | None:
        record = self.tenants.docs.get(slug)
        return record if record is not None and record.state is TenantState.PROVISIONED else None

    def held(self, slug: str, clock):
        return contextlib.nullcontext()

    async def due(self, now, *, limit: int = 500) -> list[str]:
        return []


class AlwaysAnswers:
    async def ping(self, record: TenantRecord, secret: str, msg_id: str) -> PingOutcome:
        return PingOutcome(ok=True, attempts=1, status_code=204, latency_ms=1.0)


async def test_a_redelivered_request_provisions_one_tenant_on_the_test_broker():
    settings = OnboardingSettings.model_construct(topic_prefix="unit.")
    tenants: InMemoryProjectionStore[TenantRecord] = InMemoryProjectionStore()
    facts = RecordingPublisher()
    deps = handlers.Deps(
        tenants=tenants,
        members=InMemoryProjectionStore(),
        facts=facts,
        webhooks=AlwaysAnswers(),
        leases=FakeLeases(tenants),
        secrets=SecretBox(SecretStr(Fernet.generate_key().decode())),
        rules=Rules(urls=UrlPolicy()),
        clock=lambda: NOW,
    )
    worker = VerificationWorker(handlers.Verifications(deps), concurrency=4)
    broker, _ = build_broker(settings, group="unit")
    broker.include_router(onboarding_routes(settings, deps, worker))
    request = TenantRequested.create(
        data=TenantRequestedData(slug="acme", webhook_url="https://hooks.acme.example/h", requested_at=NOW),
        source="/tests", tenantid="acme", time=NOW, id="req-acme",
    )  # fmt: skip
    async with TestKafkaBroker(broker) as test_broker:

        async def publish(event: TenantRequested) -> None:
            await test_broker.publish(
                event.to_json(), topic=settings.topic(topics.TENANT_INTAKE), headers=event_headers(event)
            )

        async def settle() -> None:
            await worker.drain()  # the verifications the route scheduled

        async def state(slug: str) -> str | None:
            record = await tenants.get(slug)
            return None if record is None else str(record.state)

        async def published() -> list[tuple[str, str]]:
            return [(event.type, event.id) for event in facts.events]

        await onboarding_intake.a_redelivered_request_provisions_one_tenant_and_repeats_the_same_fact(
            publish, settle, state, published, request
        )
