"""The Protocols the board's handlers depend on: named and typed."""

from __future__ import annotations

from typing import Protocol

from schemas.envelope import CloudEvent
from service_kit.ports import DeadLetter, WritableViews

from board.facts import Fact
from board.projections import ProbeHour
from board.revenue import Invoice, Payment

Invoices = WritableViews[Invoice]
"""Every invoice issued (ProjectionStore over board_invoices)."""
Payments = WritableViews[Payment]
"""Every payment received (ProjectionStore over board_payments)."""

ProbeHours = WritableViews[ProbeHour]
"""The prober's results by target and hour (ProjectionStore over board_probe_hours)."""
Facts = WritableViews[Fact]
"""The platform's facts the board pack reports on (ProjectionStore over board_facts)."""


class EventPublisher(Protocol):
    """Publishes one event and returns once Kafka acknowledged it."""

    async def publish(self, event: CloudEvent) -> None:
        """Publish `event` and return once it is acknowledged."""
        ...


__all__ = ["DeadLetter", "EventPublisher", "Facts", "Invoices", "Payments", "ProbeHours"]
