"""The Protocols onboarding's handlers and worker depend on: named and typed, faked in unit tests.

The store and clock ports every service shares (Clock, Views, WritableViews) come from service_kit.ports.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from schemas.envelope import CloudEvent
from service_kit.ports import Clock, Views, WritableViews

from onboarding.domain import PingOutcome, TenantRecord


class EventPublisher(Protocol):
    """Publishes a tenant fact on tenant.events.v1 and returns once it is acknowledged."""

    async def publish(self, event: CloudEvent) -> None:
        """Publish `event`; raise when Kafka does not acknowledge it."""
        ...


class WebhookPinger(Protocol):
    """Sends the signed verification ping to a tenant's webhook, retrying on its schedule."""

    async def ping(self, record: TenantRecord, secret: str, msg_id: str) -> PingOutcome:
        """The outcome of verifying `record`'s webhook with `secret` (never an exception)."""
        ...


class Leases(Protocol):
    """Verification leases: one worker verifies a tenant at a time, a crashed worker's tenants are taken over."""

    def hold(self, record: TenantRecord, now: datetime) -> TenantRecord:
        """`record` leased to this worker from `now` (a tenant created already leased)."""
        ...

    async def claim(self, slug: str, now: datetime) -> TenantRecord | None:
        """The tenant, leased to this worker, when it awaits verification and no live lease holds it."""
        ...

    def held(self, slug: str, clock: Callable[[], datetime]) -> AbstractAsyncContextManager[None]:
        """Keep the lease on `slug` renewed while the block runs."""
        ...

    async def due(self, now: datetime, *, limit: int = 500) -> list[str]:
        """Slugs awaiting verification with no live lease."""
        ...


__all__ = ["Clock", "EventPublisher", "Leases", "Views", "WebhookPinger", "WritableViews"]
