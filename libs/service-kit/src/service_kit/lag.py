"""Consumer lag as a Prometheus gauge: per consumer group, topic and partition, for every subscriber.

Lag is the partition's end offset (asked of the broker: a stalled consumer's own high watermark is as
stale as it is) minus the group's committed offset, or the consumer's position before its first commit:
the records its handlers have yet to finish. Read every few seconds from the running consumers: one
end-offsets request per consumer and one offset fetch per assigned partition.
"""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Gauge

from service_kit.periodic import Periodic

__all__ = ["ConsumerLag"]


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
