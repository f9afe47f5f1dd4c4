"""Kafka for slsa-watch's hot path: verdicts and runner signals published a batch at a time on one producer."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.envelope import CloudEvent
from service_kit.publishing import BulkPublisher


class TopicPublisher:
    """Publishes batches of events on one topic through a shared BulkPublisher (no per-message middlewares)."""

    def __init__(self, bulk: BulkPublisher, topic: str) -> None:
        self.bulk = bulk
        self.topic = topic

    async def publish(self, events: Sequence[CloudEvent]) -> None:
        """Publish every event and return once all are acknowledged."""
        await self.bulk.publish(events, topic=self.topic)
