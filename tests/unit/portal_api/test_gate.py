"""The access gate on fakes: the decision is on the audit trail before the answer, limits, strangers' refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_api.authorization import Subject
from portal_api.errors import DependencyUnavailableError, ForbiddenError, RateLimitedError
from portal_api.gate import AccessGate
from portal_api.policy import PolicyBundle, PolicyEngine
from portal_api.rate_limit import RateLimiter
from schemas.audit import AccessDecided
from schemas.tenant import PLATFORM_TENANT
from service_kit.testing import FakeClock

NOW = datetime(2026, 12, 2, 12, 0, 30, tzinfo=UTC)
VIEWER = Subject("ana", tenant_roles={"acme": ("viewer",)})


class RecordingAuditTrail:
    """Keeps each recorded decision; `down` makes it refuse like an unreachable Kafka."""

    def __init__(self) -> None:
        self.facts: list[AccessDecided] = []
        self.down = False

    async def record(self, fact: AccessDecided) -> None:
        if self.down:
            raise DependencyUnavailableError("the audit trail is unavailable")
        self.facts.append(fact)


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(PolicyBundle.load())


def gate(
    engine: PolicyEngine, trail: RecordingAuditTrail, *, subject_limit: int = 100, refusals: int = 30
) -> AccessGate:
    limiter = RateLimiter(None, tenant_per_minute=100, subject_per_minute=subject_limit, refusals_per_minute=refusals)  # type: ignore[arg-type]
    return AccessGate(engine, limiter, trail, FakeClock(NOW))


async def test_an_admitted_read_is_on_the_tenants_audit_trail_with_the_fields_it_shows(engine):
    trail = RecordingAuditTrail()
    access = await gate(engine, trail).admit(VIEWER, "acme", "overview:read", "/tenants/acme/overview")
    assert access.allowed and "display_name" in access.fields
    [fact] = trail.facts
    assert (fact.tenantid, fact.data.subject, fact.data.allowed, fact.time) == ("acme", "ana", True, NOW)


async def test_no_audit_record_means_no_access(engine):
    trail = RecordingAuditTrail()
    trail.down = True
    with pytest.raises(DependencyUnavailableError):
        await gate(engine, trail).admit(VIEWER, "acme", "overview:read", "/tenants/acme/overview")


async def test_a_strangers_refusal_is_filed_in_the_platforms_trail_not_the_tenants(engine):
    trail = RecordingAuditTrail()
    stranger = Subject("mallory", tenant_roles={"beta": ("admin",)})
    with pytest.raises(ForbiddenError):
        await gate(engine, trail).admit(stranger, "acme", "overview:read", "/tenants/acme/overview")
    [fact] = trail.facts
    assert fact.tenantid == PLATFORM_TENANT and fact.data.tenant == "acme" and fact.data.allowed is False


async def test_past_the_refusals_limit_a_stranger_is_answered_429_without_another_record(engine):
    trail = RecordingAuditTrail()
    guarded = gate(engine, trail, refusals=2)
    stranger = Subject("mallory")
    for _ in range(2):
        with pytest.raises(ForbiddenError):
            await guarded.admit(stranger, "acme", "overview:read", "/tenants/acme/overview")
    with pytest.raises(RateLimitedError):
        await guarded.admit(stranger, "acme", "overview:read", "/tenants/acme/overview")
    assert len(trail.facts) == 2


async def test_past_the_subject_limit_a_member_is_answered_429_before_any_decision(engine):
    trail = RecordingAuditTrail()
    guarded = gate(engine, trail, subject_limit=1)
    await guarded.admit(VIEWER, "acme", "overview:read", "/tenants/acme/overview")
    with pytest.raises(RateLimitedError) as refused:
        await guarded.admit(VIEWER, "acme", "overview:read", "/tenants/acme/overview")
    assert refused.value.retry_after_s == 30 and len(trail.facts) == 1  # the window ends at 12:01:00


def test_may_answers_without_recording_anything(engine):
    trail = RecordingAuditTrail()
    g = gate(engine, trail)
    assert g.may(VIEWER, "acme", "overview:read") and not g.may(VIEWER, "acme", "apikey:create")
    assert trail.facts == []
