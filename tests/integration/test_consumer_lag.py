"""Kafka backlogs on the real broker: records a stalled consumer has not folded show as its group's lag per
partition, and the lag falls to zero once it catches up; dead-lettered records show as their DLQ's backlog."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry
from service_kit.broker import build_broker, ensure_topics
from service_kit.lag import ConsumerLag, DeadLetterBacklog
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


async def test_dead_lettered_records_show_as_the_backlog_of_their_topics_dlq():
    settings = ServiceSettings(
        kafka_bootstrap=KAFKA, topic_prefix=f"dlq-{uuid.uuid4().hex[:8]}.", handler_max_attempts=1
    )
    topic = settings.topic("work.v1")
    await ensure_topics(KAFKA, [topic], partitions=2)
    registry = CollectorRegistry()
    broker, _ = build_broker(settings, group="dlq-test", registry=registry)
    handled: list[Any] = []

    @broker.subscriber(topic, group_id="dlq-test", auto_offset_reset="earliest")
    async def picky(body: Any) -> None:
        handled.append(body)
        if body == b"poison":
            raise ValueError("cannot handle")

    backlog = DeadLetterBacklog(broker, registry, bootstrap=KAFKA)
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA)
    await broker.start()
    await producer.start()
    try:
        assert await backlog.refresh() == 1
        assert registry.get_sample_value("trustportal_dead_letter_backlog", {"topic": topic}) == 0
        for n, body in enumerate([b"fine", b"poison", b"poison", b"fine", b"poison"]):
            await producer.send_and_wait(topic, body, key=str(n).encode())

        async def three_held() -> bool:
            await backlog.refresh()
            return registry.get_sample_value("trustportal_dead_letter_backlog", {"topic": topic}) == 3

        await eventually(three_held, what="three dead letters held in the DLQ")
        assert len(handled) == 5
    finally:
        await backlog.stop()
        await producer.stop()
        await broker.stop()
