"""Kafka backlogs as Prometheus gauges: consumer lag per group, topic and partition; dead letters held per DLQ.

Lag is the partition's end offset (asked of the broker: a stalled consumer's own high watermark is as
stale as it is) minus the group's committed offset, or the consumer's position before its first commit:
the records its handlers have yet to finish. Read every few seconds from the running consumers: one
end-offsets request per consumer and one offset fetch per assigned partition.

The dead letters held are each consumed topic's `<topic>.dlq` end offsets minus its first offsets (so
retention counts: what an operator could still replay), read by a client of its own that joins no group.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Gauge
from schemas.topics import dlq

from service_kit.periodic import Periodic

__all__ = ["ConsumerLag", "DeadLetterBacklog"]


class ConsumerLag:
    """`trustportal_consumer_lag{group, topic, partition}` for the broker's subscribers, refreshed every interval."""

    def __init__(self, broker: KafkaBroker, registry: CollectorRegistry, *, interval_s: float = 15.0) -> None:
        self.broker = broker
        self.gauge = Gauge(
            "trustportal_consumer_lag",
            "Records not yet handled, per consumer group, topic and partition (end offset - committed offset)",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self.periodic = Periodic("consumer-lag", interval_s, self.refresh)

    async def refresh(self) -> int:
        """Read every assigned partition's lag; how many partitions were read (stale ones are dropped)."""
        rows: list[tuple[tuple[str, str, str], int]] = []
        for subscriber in self.broker.subscribers:
            consumer: Any = getattr(subscriber, "consumer", None)
            if consumer is None:
                continue
            group = str(getattr(subscriber, "group_id", "") or "")
            assigned = list(consumer.assignment())
            if not assigned:
                continue
            ends = await consumer.end_offsets(assigned)
            for tp in assigned:
                high = ends[tp]
                committed = await consumer.committed(tp)
                done = committed if committed is not None else await consumer.position(tp)
                rows.append(((group, tp.topic, str(tp.partition)), max(0, high - done)))
        self.gauge.clear()
        for labels, lag in rows:
            self.gauge.labels(*labels).set(lag)
        return len(rows)

    async def start(self) -> None:
        """Start refreshing."""
        await self.periodic.start()

    async def stop(self) -> None:
        """Stop refreshing."""
        await self.periodic.stop()


class DeadLetterBacklog:
    """`trustportal_dead_letter_backlog{topic}`: records held in the DLQ of each topic the broker consumes."""

    def __init__(
        self, broker: KafkaBroker, registry: CollectorRegistry, *, bootstrap: str, interval_s: float = 60.0
    ) -> None:
        self.broker, self.bootstrap = broker, bootstrap
        self.gauge = Gauge(
            "trustportal_dead_letter_backlog",
            "Records held in a dead-letter topic (end offset - first retained offset), by the source topic",
            ["topic"],
            registry=registry,
        )
        self.periodic = Periodic("dead-letter-backlog", interval_s, self.refresh)
        self.admin: AIOKafkaAdminClient | None = None
        self.offsets: AIOKafkaConsumer | None = None

    def dead_letter_topics(self) -> dict[str, str]:
        """DLQ -> source topic, for every topic a subscriber of the broker consumes."""
        return {dlq(t): t for s in self.broker.subscribers for t in getattr(s, "topic_names_for_subscribe", ())}

    async def refresh(self) -> int:
        """Read every DLQ's size; how many DLQs were read."""
        topics = self.dead_letter_topics()
        if not topics:
            return 0
        if self.admin is None or self.offsets is None:
            self.admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            self.offsets = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
            await self.admin.start()
            await self.offsets.start()
        described = await self.admin.describe_topics(sorted(topics))
        partitions = [
            TopicPartition(d["topic"], p["partition"])
            for d in described
            if not d["error_code"]
            for p in d["partitions"]
        ]
        firsts = await self.offsets.beginning_offsets(partitions)
        ends = await self.offsets.end_offsets(partitions)
        held: dict[str, int] = {}
        for tp in partitions:
            held[tp.topic] = held.get(tp.topic, 0) + max(0, ends[tp] - firsts[tp])
        self.gauge.clear()
        for name, count in held.items():
            self.gauge.labels(topics[name]).set(count)
        return len(held)

    async def start(self) -> None:
        """Start refreshing."""
        await self.periodic.start()

    async def stop(self) -> None:
        """Stop refreshing and close the clients."""
        await self.periodic.stop()
        if self.offsets is not None:
            await self.offsets.stop()
        if self.admin is not None:
            await self.admin.close()
        self.admin = self.offsets = None
