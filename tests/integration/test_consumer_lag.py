"""Consumer lag on the real broker: records a stalled consumer has not folded show as its group's lag per
partition, and the lag falls to zero once it catches up."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry
from service_kit.broker import build_broker, ensure_topics
from service_kit.lag import ConsumerLag
from service_kit.settings import ServiceSettings

from tests.integration.conftest import KAFKA
from tests.integration.support import eventually


def lag_of(registry: CollectorRegistry, group: str) -> dict[str, float]:
    return {
        s.labels["partition"]: s.value
        for m in registry.collect()
        for s in m.samples
        if s.name == "trustportal_consumer_lag" and s.labels["group"] == group
    }


async def test_a_stalled_consumers_backlog_is_its_lag_and_it_falls_to_zero_when_it_catches_up():
    settings = ServiceSettings(kafka_bootstrap=KAFKA, topic_prefix=f"lag-{uuid.uuid4().hex[:8]}.")
    topic = settings.topic("work.v1")
    await ensure_topics(KAFKA, [topic], partitions=1)
    registry = CollectorRegistry()
    broker, _ = build_broker(settings, group="lag-test", registry=registry)
    release, seen = asyncio.Event(), []

    @broker.subscriber(topic, group_id="lag-test-slow", auto_offset_reset="earliest")
    async def slow(body: Any) -> None:
        seen.append(body)
        await release.wait()

    lag = ConsumerLag(broker, registry)
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA)
    await broker.start()
    await producer.start()
    try:
        for n in range(50):
            await producer.send_and_wait(topic, str(n).encode())

        async def backlog() -> bool:
            await lag.refresh()
            return bool(seen) and lag_of(registry, "lag-test-slow").get("0", 0) >= 40

        await eventually(backlog, what="the stalled consumer's backlog as lag")
        release.set()

        async def caught_up() -> bool:
            await lag.refresh()
            return len(seen) == 50 and lag_of(registry, "lag-test-slow") == {"0": 0.0}

        await eventually(caught_up, what="the lag back to zero")
    finally:
        release.set()
        await producer.stop()
        await broker.stop()
