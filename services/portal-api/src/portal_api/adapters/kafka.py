"""Kafka for the request path: the audit trail as a group commit, and writes published within a bound."""

from __future__ import annotations

import asyncio

from faststream.kafka import KafkaBroker
from schemas.audit import AccessDecided
from schemas.envelope import CloudEvent
from service_kit.publishing import GroupCommitPublisher, publish_event

from portal_api.errors import DependencyUnavailableError


class KafkaAuditTrail:
    """AccessDecided records of concurrent requests go out together; each caller waits for its own ack."""

    def __init__(self, group: GroupCommitPublisher) -> None:
        self.group = group

    async def start(self) -> None:
        """Connect the producer (raises when Kafka is unreachable)."""
        await self.group.start()

    async def stop(self) -> None:
        """Send what is pending, then close."""
        await self.group.stop()

    async def record(self, fact: AccessDecided) -> None:
        """No audit record, no access: 503 unless Kafka acknowledged the record within the bound."""
        try:
            await self.group.publish(fact)
        except Exception as exc:
            raise DependencyUnavailableError("the audit trail is unavailable") from exc


class KafkaPublisher:
    """Publishes one event through the service's broker within `timeout_s`, or raises DependencyUnavailableError."""

    def __init__(self, broker: KafkaBroker, *, prefix: str, timeout_s: float, unavailable: str) -> None:
        self.broker = broker
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.unavailable = unavailable

    async def publish(self, event: CloudEvent, topic: str) -> None:
        """Publish `event` on `topic` (its logical name): a request never hangs on Kafka."""
        try:
            await asyncio.wait_for(publish_event(self.broker, event, topic=f"{self.prefix}{topic}"), self.timeout_s)
        except Exception as exc:
            raise DependencyUnavailableError(self.unavailable) from exc
