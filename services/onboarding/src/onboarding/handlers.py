"""Thin handlers: load, call the domain, save, publish."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.read_models import CohortMember
from schemas.tenant import TENANT_FACTS, TenantFact, TenantRequested, is_tenant_slug
from service_kit.mongo import ConcurrentUpdateError

from onboarding import domain, projections
from onboarding.adapters.secrets import SecretBox
from onboarding.domain import TenantRecord
from onboarding.ports import Clock, EventPublisher, Leases, WebhookPinger, WritableViews


@dataclass(frozen=True)
class Deps:
    """What the handlers need, built once in app.py (tests pass fakes)."""

    tenants: WritableViews[TenantRecord]
    members: WritableViews[CohortMember]
    facts: EventPublisher
    webhooks: WebhookPinger
    leases: Leases
    secrets: SecretBox
    rules: domain.Rules
    clock: Clock


async def on_tenant_requested(event: TenantRequested, deps: Deps) -> str | None:
    """Validate and provision (idempotently) and publish the facts; the slug whose webhook to verify next, if any."""
    slug = event.data.slug
    current = await deps.tenants.get(slug) if is_tenant_slug(slug) else None
    sealed = deps.secrets.seal(deps.secrets.generate())
    now = deps.clock()
    decision = domain.decide(current, event, now=now, sealed_secret=sealed, rules=deps.rules)
    record = decision.record
    if record is not None and record is not current:
        record = deps.leases.hold(record, now)  # created already leased to this worker, which verifies it next
        if not await deps.tenants.insert_once(record.slug, record):
            raise ConcurrentUpdateError(f"tenant {record.slug} changed while it was being handled")
    # A redelivered or repeated request re-publishes the tenant's facts (same ids): a crash
    # between saving and publishing then loses nothing, and consumers deduplicate.
    facts = decision.facts
    if not facts and record is not None:
        facts = tuple(TENANT_FACTS.validate_json(raw) for raw in record.outbox)
    for fact in facts:
        await deps.facts.publish(fact)
    return record.slug if decision.needs_verification and record is not None else None


async def verify_tenant(slug: str, deps: Deps) -> None:
    """Verify one tenant's webhook under a lease, store the outcome, publish its facts."""
    record = await deps.leases.claim(slug, deps.clock())
    if record is None:
        return
    outcome = await deps.webhooks.ping(record, deps.secrets.open(record.webhook_secret_sealed), record.request_id)
    verified = domain.record_verification(record, outcome, now=deps.clock())
    assert verified.record is not None
    # Facts first, then the final state: a crash in between leaves the tenant awaiting
    # verification, so the sweep verifies it again and re-publishes the same ids (consumers
    # dedup), whereas the other order could store a final state whose facts were never sent.
    for fact in verified.facts:
        await deps.facts.publish(fact)
    # The lease makes this worker the tenant's only writer. Should it have lapsed and a second
    # worker verified too, both publish facts with the same deterministic ids, and consumers dedup.
    await deps.tenants.put(slug, verified.record)


async def on_tenant_fact(event: TenantFact, deps: Deps) -> None:
    """Add the cohort member document a tenant fact implies, once per event id (insert-only)."""
    member = projections.member_of(event)
    if member is not None:
        await deps.members.insert_once(event.id, member)


class Verifications:
    """The verification worker's job: verify one tenant under its renewed lease; list the tenants due."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def verify(self, slug: str) -> None:
        """Verify `slug`'s webhook, keeping its lease renewed meanwhile."""
        async with self.deps.leases.held(slug, self.deps.clock):
            await verify_tenant(slug, self.deps)

    async def due(self) -> list[str]:
        """Tenants awaiting verification that no live lease holds (a crash or restart interrupted them)."""
        return await self.deps.leases.due(self.deps.clock())
