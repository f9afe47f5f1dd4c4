"""Thin handlers: load, call the domain, save, publish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from schemas.envelope import CloudEvent
from schemas.read_models import CohortMember
from schemas.tenant import TENANT_FACTS, TenantFact, TenantRequested, is_tenant_slug
from service_kit.mongo import ConcurrentUpdateError, ProjectionStore

from onboarding import domain, projections
from onboarding.adapters.secrets import SecretBox
from onboarding.domain import PingOutcome, TenantRecord

Verify = Callable[[TenantRecord, str, str], Awaitable[PingOutcome]]
Claim = Callable[[str, datetime], Awaitable[TenantRecord | None]]


@dataclass(frozen=True)
class Deps:
    """What the handlers need, built once in app.py (tests pass their own)."""

    tenants: ProjectionStore[TenantRecord]
    members: ProjectionStore[CohortMember]
    publish: Callable[[CloudEvent], Awaitable[None]]
    verify: Verify
    claim: Claim
    hold: Callable[[TenantRecord, datetime], TenantRecord]
    schedule_verification: Callable[[str], None]
    secrets: SecretBox
    rules: domain.Rules
    clock: Callable[[], datetime]


async def on_tenant_requested(event: TenantRequested, deps: Deps) -> None:
    """Validate and provision (idempotently), publish the facts, then schedule the webhook check."""
    slug = event.data.slug
    current = await deps.tenants.get(slug) if is_tenant_slug(slug) else None
    sealed = deps.secrets.seal(deps.secrets.generate())
    now = deps.clock()
    decision = domain.decide(current, event, now=now, sealed_secret=sealed, rules=deps.rules)
    record = decision.record
    if record is not None and record is not current:
        record = deps.hold(record, now)  # created already leased to this worker, which verifies it next
        if not await deps.tenants.insert_once(record.slug, record):
            raise ConcurrentUpdateError(f"tenant {record.slug} changed while it was being handled")
    # A redelivered or repeated request re-publishes the tenant's facts (same ids): a crash
    # between saving and publishing then loses nothing, and consumers deduplicate.
    facts = decision.facts
    if not facts and record is not None:
        facts = tuple(TENANT_FACTS.validate_json(raw) for raw in record.outbox)
    for fact in facts:
        await deps.publish(fact)
    if decision.needs_verification and record is not None:
        deps.schedule_verification(record.slug)


async def verify_tenant(slug: str, deps: Deps) -> None:
    """Verify one tenant's webhook under a lease, store the outcome, publish its facts."""
    record = await deps.claim(slug, deps.clock())
    if record is None:
        return
    outcome = await deps.verify(record, deps.secrets.open(record.webhook_secret_sealed), record.request_id)
    verified = domain.record_verification(record, outcome, now=deps.clock())
    assert verified.record is not None
    # Facts first, then the final state: a crash in between leaves the tenant awaiting
    # verification, so the sweep verifies it again and re-publishes the same ids (consumers
    # dedup), whereas the other order could store a final state whose facts were never sent.
    for fact in verified.facts:
        await deps.publish(fact)
    # The lease makes this worker the tenant's only writer. Should it have lapsed and a second
    # worker verified too, both publish facts with the same deterministic ids, and consumers dedup.
    await deps.tenants.put(slug, verified.record)


async def on_tenant_fact(event: TenantFact, deps: Deps) -> None:
    """Add the cohort member document a tenant fact implies, once per event id (insert-only)."""
    member = projections.member_of(event)
    if member is not None:
        await deps.members.insert_once(event.id, member)
