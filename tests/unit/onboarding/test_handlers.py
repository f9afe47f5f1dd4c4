"""Onboarding's handlers on fakes: in-memory stores, a recording publisher, a fixed clock."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from onboarding.adapters.secrets import SecretBox
from onboarding.domain import PingOutcome, Rules, TenantRecord
from onboarding.handlers import Deps, on_tenant_fact, on_tenant_requested, verify_tenant
from onboarding.ssrf import UrlPolicy
from pydantic import SecretStr
from schemas.read_models import TenantState
from schemas.tenant import TenantRequested, TenantRequestedData, tenant_key
from service_kit.testing import InMemoryProjectionStore

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


class FakeDeps:
    """Deps over fakes, with what the handlers did recorded."""

    def __init__(self, ping: PingOutcome | None = None) -> None:
        self.tenants: InMemoryProjectionStore[TenantRecord] = InMemoryProjectionStore()
        self.members: InMemoryProjectionStore = InMemoryProjectionStore()
        self.published: list = []
        self.scheduled: list[str] = []
        self.pinged: list[str] = []
        self.ping_outcome = ping or PingOutcome(ok=True, attempts=1, status_code=204, latency_ms=12.0)
        self.secrets = SecretBox(SecretStr(Fernet.generate_key().decode()))

    async def publish(self, fact) -> None:  # EventPublisher
        self.published.append(fact)

    async def ping(self, record: TenantRecord, secret: str, request_id: str) -> PingOutcome:  # WebhookPinger
        assert secret.startswith("whsec_")  # the sealed secret was opened for the ping
        self.pinged.append(record.slug)
        return self.ping_outcome

    async def claim(self, slug: str, _now: datetime) -> TenantRecord | None:  # Leases
        record = self.tenants.docs.get(slug)
        return record if record is not None and record.state is TenantState.PROVISIONED else None

    def hold(self, record: TenantRecord, now: datetime) -> TenantRecord:
        return record.model_copy(update={"lease_until": now, "lease_owner": "test"})

    def held(self, slug: str, clock):
        return contextlib.nullcontext()

    async def due(self, now: datetime, *, limit: int = 500) -> list[str]:
        return []

    def deps(self) -> Deps:
        return Deps(
            tenants=self.tenants,
            members=self.members,
            facts=self,
            webhooks=self,
            leases=self,
            secrets=self.secrets,
            rules=Rules(urls=UrlPolicy()),
            clock=lambda: NOW,
        )

    async def request(self, event) -> None:
        """What the intake route does: handle, then schedule the verification the handler asks for."""
        if (slug := await on_tenant_requested(event, self.deps())) is not None:
            self.scheduled.append(slug)


def request(slug: str = "acme", **fields: str) -> TenantRequested:
    data = TenantRequestedData(slug=slug, webhook_url="https://hooks.acme.example/h", requested_at=NOW, **fields)
    return TenantRequested.create(data=data, source="/tests", tenantid=tenant_key(slug), time=NOW, id=f"req-{slug}")


async def test_a_redelivered_request_provisions_one_tenant_and_republishes_the_same_fact():
    fake = FakeDeps()
    await fake.request(request())
    await fake.request(request())
    assert list(fake.tenants.docs) == ["acme"] and fake.tenants.docs["acme"].state is TenantState.PROVISIONED
    assert [f.type for f in fake.published] == ["io.trustportal.tenant.provisioned.v1"] * 2
    assert fake.published[0].id == fake.published[1].id  # the same id: consumers keep it once
    assert fake.scheduled == ["acme", "acme"]  # the verification is (re)scheduled; its lease keeps it single


async def test_a_request_for_a_reserved_slug_is_rejected_under_no_tenant_and_never_looked_up():
    fake = FakeDeps()
    await fake.request(request("platform", plan="<b>gold</b>"))
    [rejected] = fake.published
    assert rejected.type == "io.trustportal.tenant.rejected.v1" and rejected.tenantid == "_intake"
    assert fake.tenants.docs == {} and fake.tenants.reads == [] and fake.scheduled == []


async def test_a_verified_webhook_publishes_its_facts_before_the_tenant_is_stored_onboarded():
    fake = FakeDeps()
    await fake.request(request())
    fake.published.clear()
    await verify_tenant("acme", fake.deps())
    assert fake.pinged == ["acme"]
    assert [f.type for f in fake.published] == [
        "io.trustportal.tenant.webhook-verified.v1",
        "io.trustportal.tenant.onboarded.v1",
    ]
    assert fake.tenants.docs["acme"].state is TenantState.ONBOARDED
    await verify_tenant("acme", fake.deps())  # no longer awaiting verification: the claim refuses it
    assert fake.pinged == ["acme"] and len(fake.published) == 2


async def test_a_failed_ping_is_recorded_with_its_reason():
    fake = FakeDeps(PingOutcome(ok=False, attempts=5, status_code=500, latency_ms=3.0, reason="HTTP 500"))
    await fake.request(request())
    await verify_tenant("acme", fake.deps())
    assert fake.published[-1].type == "io.trustportal.tenant.webhook-verification-failed.v1"
    record = fake.tenants.docs["acme"]
    assert record.state is TenantState.VERIFICATION_FAILED and record.failure_reason == "HTTP 500"


async def test_each_tenant_fact_adds_one_cohort_member_however_often_it_is_delivered():
    fake = FakeDeps()
    await fake.request(request())
    [provisioned] = fake.published
    for _ in range(3):
        await on_tenant_fact(provisioned, fake.deps())
    assert list(fake.members.docs) == [provisioned.id]
