"""The Protocols the board's handlers depend on: named and typed."""

from __future__ import annotations

from typing import Protocol

from schemas.board import BoardPackBuilt, BoardPackFailed, BoardPackRequested
from schemas.envelope import CloudEvent
from schemas.evidence import AnchorRequested
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


class PackMaker(Protocol):
    """Builds requested board packs in two steps (PackBuilder)."""

    async def start(self, request: BoardPackRequested) -> AnchorRequested | BoardPackFailed:
        """Render and keep the pack; its anchor request, or why it was not built."""
        ...

    async def anchored(self, fact: Fact) -> BoardPackBuilt | None:
        """The pack whose digest is now in the ledger, announced; None for another anchor."""
        ...


__all__ = ["DeadLetter", "EventPublisher", "Facts", "Invoices", "PackMaker", "Payments", "ProbeHours"]
