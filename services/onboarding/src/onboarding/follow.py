"""Following a batch live: the tenant facts on tenant.events.v1, folded per tenant as they arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from schemas.read_models import TenantState
from schemas.tenant import (
    TENANT_FACTS,
    TenantFact,
    WebhookVerificationFailed,
    WebhookVerified,
)

from onboarding.projections import member_of

PENDING = "pending"


@dataclass
class TenantProgress:
    """What the batch knows of one tenant so far."""

    state: str = PENDING
    attempts: int | None = None
    ttfv_s: float | None = None
    reason: str = ""


@dataclass
class BatchProgress:
    """The tenants of one batch (slug -> cohort) and the facts seen about them; pure."""

    cohorts: dict[str, str]
    tenants: dict[str, TenantProgress] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tenants = {slug: TenantProgress() for slug in self.cohorts}

    def apply(self, fact: TenantFact) -> None:
        """Fold one fact in; facts about other tenants or cohorts are ignored."""
        slug = fact.data.slug
        if self.cohorts.get(slug) != fact.data.cohort:
            return
        progress = self.tenants[slug]
        if isinstance(fact, WebhookVerified | WebhookVerificationFailed):
            progress.attempts = fact.data.attempts
        member = member_of(fact)
        if member is None:
            return
        current = TenantState(progress.state) if progress.state != PENDING else None
        if current is not None and current.rank >= member.state.rank:
            return
        progress.state = member.state.value
        progress.ttfv_s = member.ttfv_s if member.ttfv_s is not None else progress.ttfv_s
        progress.reason = member.reason or ""

    @property
    def done(self) -> int:
        """Tenants in a final state."""
        return sum(1 for p in self.tenants.values() if p.state not in (PENDING, TenantState.PROVISIONED.value))

    @property
    def finished(self) -> bool:
        """Whether every tenant reached a final state."""
        return self.done == len(self.tenants)


class FactFollower:
    """Reads tenant.events.v1 from the offsets it had when started (start it before publishing)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
        self.topic = topic

    async def start(self) -> None:
        """Connect and pin every partition's current end as the starting point."""
        partitions = await self._partitions()
        await self.consumer.start()
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.consumer.assign(assigned)
        await self.consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self.consumer.position(tp)

    async def _partitions(self) -> list[int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            deadline = time.monotonic() + 10
            while True:
                (described,) = await admin.describe_topics([self.topic])
                if described["error_code"] == 0 and described["partitions"]:
                    return [p["partition"] for p in described["partitions"]]
                if time.monotonic() > deadline:
                    raise LookupError(f"topic {self.topic} does not exist")
                await asyncio.sleep(0.1)  # a topic just created takes a moment to appear
        finally:
            await admin.close()

    async def follow(
        self, progress: BatchProgress, *, deadline_s: float, on_change: Callable[[BatchProgress], None]
    ) -> BatchProgress:
        """Fold arriving facts into `progress` until every tenant is final or the deadline passes."""
        deadline = time.monotonic() + deadline_s
        on_change(progress)
        while not progress.finished and time.monotonic() < deadline:
            batch = await self.consumer.getmany(timeout_ms=250)
            for records in batch.values():
                for record in records:
                    try:
                        progress.apply(TENANT_FACTS.validate_json(record.value or b""))
                    except ValidationError:
                        continue  # not a tenant fact this version knows: not ours to judge
            on_change(progress)
        return progress

    async def stop(self) -> None:
        """Disconnect."""
        await self.consumer.stop()
