"""A publisher that keeps what it was given, in order, for assertions (and can be made to fail)."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.envelope import CloudEvent

__all__ = ["RecordingBatchPublisher", "RecordingPublisher"]


class RecordingPublisher:
    """Records each (topic, event); with `failing` set, raises it instead (an unreachable Kafka)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, CloudEvent]] = []
        self.failing: BaseException | None = None

    async def publish(self, event: CloudEvent, topic: str = "") -> None:
        """Record `event` under `topic` (or raise `failing`)."""
        if self.failing is not None:
            raise self.failing
        self.published.append((topic, event))

    @property
    def events(self) -> list[CloudEvent]:
        """The events, in the order they were published."""
        return [event for _, event in self.published]

    @property
    def types(self) -> list[str]:
        """The events' types, in order."""
        return [event.type for event in self.events]


class RecordingBatchPublisher:
    """Records each batch a bulk publisher is given; with `failing` set, raises it instead."""

    def __init__(self) -> None:
        self.batches: list[list[CloudEvent]] = []
        self.failing: BaseException | None = None

    async def publish(self, events: Sequence[CloudEvent]) -> None:
        """Record the batch (or raise `failing`)."""
        if self.failing is not None:
            raise self.failing
        self.batches.append(list(events))

    @property
    def events(self) -> list[CloudEvent]:
        """Every event of every batch, in order."""
        return [event for batch in self.batches for event in batch]
