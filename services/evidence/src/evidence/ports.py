"""The Protocols the evidence service's handlers depend on: named and typed."""

from __future__ import annotations

from typing import Protocol

from schemas.envelope import CloudEvent
from service_kit.ports import DeadLetter


class EventPublisher(Protocol):
    """Publishes one event and returns once Kafka acknowledged it."""

    async def publish(self, event: CloudEvent) -> None:
        """Publish `event` and return once it is acknowledged."""
        ...


__all__ = ["DeadLetter", "EventPublisher"]
