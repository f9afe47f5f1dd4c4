"""The Protocols the evidence service's handlers depend on: named and typed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.envelope import CloudEvent
from schemas.evidence import Anchored, AnchorRequested, PackBuilt, PackFailed, PackRequested
from service_kit.ports import DeadLetter

from evidence.items import StoredItem


class EvidenceLog(Protocol):
    """Where evidence items are kept, in order, per tenant and period (ItemLog over MongoDB)."""

    async def append(self, items: Sequence[StoredItem]) -> None:
        """Keep each item once (by event id), at the end of its tenant's period."""
        ...


class PackBuilder(Protocol):
    """Builds a requested pack: archive, signature, ledger entry (Builder)."""

    async def build(self, request: PackRequested) -> PackBuilt | PackFailed:
        """The pack built and ledgered, or why it could not be."""
        ...


class Anchors(Protocol):
    """Records another document's digest in the ledger (Anchorer)."""

    async def anchor(self, request: AnchorRequested) -> Anchored:
        """The digest's ledger entry, index, proof and tree head."""
        ...


class EventPublisher(Protocol):
    """Publishes one event and returns once Kafka acknowledged it."""

    async def publish(self, event: CloudEvent) -> None:
        """Publish `event` and return once it is acknowledged."""
        ...


__all__ = ["Anchors", "DeadLetter", "EventPublisher", "EvidenceLog", "PackBuilder"]
