"""The group commit: concurrent records go out together, and no caller returns before its group is acknowledged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from schemas.audit import AccessDecided, AccessDecidedData
from service_kit.publishing import GroupCommitPublisher

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def decision(tenant: str, n: int) -> AccessDecided:
    return AccessDecided.create(
        data=AccessDecidedData(
            subject=f"user-{n}", subject_kind="user", tenant=tenant, action="overview:read",
            resource=f"/tenants/{tenant}/overview", allowed=True, policy_bundle_sha256="0" * 64,
            legal_basis="contract", purpose="service", decided_at=NOW,
        ),
        source="/tests", tenantid=tenant, subject=f"/tenants/{tenant}/overview", time=NOW,
    )  # fmt: skip


class RecordingBatch:
    """A BatchBuilder that holds at most `room` records."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.records: list[tuple[bytes, bytes]] = []

    def append(self, *, key: bytes, value: bytes, timestamp: Any, headers: Any) -> object | None:
        if len(self.records) >= self.room:
            return None
        self.records.append((key, value))
        return object()


class RecordingProducer:
    """The part of AIOKafkaProducer the group commit uses; each send_batch is acknowledged when the test says so."""

    def __init__(self, room: int = 1000) -> None:
        self.room = room
        self.sent: list[tuple[int, RecordingBatch, asyncio.Future[None]]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def create_batch(self) -> RecordingBatch:
        return RecordingBatch(self.room)

    async def send_batch(self, batch: RecordingBatch, topic: str, *, partition: int) -> asyncio.Future[None]:
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append((partition, batch, ack))
        return ack

    def acknowledge(self, error: BaseException | None = None) -> None:
        for _, _, ack in self.sent:
            if not ack.done():
                ack.set_exception(error) if error else ack.set_result(None)

    async def stop(self) -> None:
        pass


def publisher(producer: RecordingProducer) -> GroupCommitPublisher:
    group = GroupCommitPublisher("unused:9092", "tests", topic="audit.events.v1", timeout_s=5.0)
    group.producer = producer  # the seam start() fills with a connected aiokafka producer
    return group


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_records_arriving_while_a_group_is_in_flight_go_out_together_in_the_next_one():
    producer = RecordingProducer()
    group = publisher(producer)
    first = asyncio.create_task(group.publish(decision("acme", 0)))
    await settle()
    assert len(producer.sent) == 1  # the first record went out alone, and is not acknowledged yet
    rest = [asyncio.create_task(group.publish(decision(t, n))) for n, t in enumerate(["acme", "beta", "cobalt"] * 10)]
    await settle()
    assert len(producer.sent) == 1 and not first.done()  # the 30 wait for the group in flight
    producer.acknowledge()
    await settle()
    assert first.done() and not any(task.done() for task in rest)  # acknowledged: only the first returns
    second = producer.sent[1:]
    assert sum(len(batch.records) for _, batch, _ in second) == 30
    assert len(second) == len({p for p, _, _ in second}) <= 3  # one batch per partition, not 30 sends
    producer.acknowledge()
    await asyncio.gather(*rest)
    assert (group.groups, group.records) == (2, 31)


async def test_every_record_keeps_its_tenants_partition():
    producer = RecordingProducer()
    group = publisher(producer)
    tasks = [asyncio.create_task(group.publish(decision(t, n))) for n, t in enumerate(["acme", "beta", "delta-forge"])]
    await settle()
    producer.acknowledge()
    await settle()
    producer.acknowledge()
    await asyncio.gather(*tasks)
    choose = DefaultPartitioner()
    for partition, batch, _ in producer.sent:
        for key, _ in batch.records:
            assert partition == choose(key, [0, 1, 2], [0, 1, 2])


async def test_a_full_batch_is_sent_and_the_rest_of_the_group_continues_in_a_new_one():
    producer = RecordingProducer(room=4)
    group = publisher(producer)
    tasks = [asyncio.create_task(group.publish(decision("acme", n))) for n in range(10)]
    await settle()
    producer.acknowledge()
    await settle()
    producer.acknowledge()
    await asyncio.gather(*tasks)
    assert sorted(len(batch.records) for _, batch, _ in producer.sent) == [2, 4, 4]  # one group of 10: 4 + 4 + 2


async def test_when_a_group_fails_every_caller_in_it_gets_the_error_and_the_next_group_still_goes_out():
    producer = RecordingProducer()
    group = publisher(producer)
    doomed = [asyncio.create_task(group.publish(decision("acme", n))) for n in range(3)]
    await settle()
    producer.acknowledge(ConnectionError("broker went away"))
    results = await asyncio.gather(*doomed, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    later = asyncio.create_task(group.publish(decision("acme", 9)))
    await settle()
    producer.acknowledge()
    await later
    assert group.records == 1


async def test_publishing_before_start_is_refused():
    with pytest.raises(ConnectionError, match="not started"):
        await GroupCommitPublisher("unused:9092", "tests", topic="t").publish(decision("acme", 0))


async def test_with_a_linger_a_lone_record_waits_for_company_and_they_go_out_together():
    producer = RecordingProducer()
    group = publisher(producer)
    lingered = asyncio.Event()
    waits: list[float] = []

    async def linger(seconds: float) -> None:  # the linger ends when the test says so, not on a wall clock
        waits.append(seconds)
        await lingered.wait()

    group.linger_s, group.sleep = 0.002, linger
    first = asyncio.create_task(group.publish(decision("acme", 0)))
    await settle()
    second = asyncio.create_task(group.publish(decision("acme", 1)))
    await settle()
    assert producer.sent == [] and waits == [0.002]  # still lingering: nothing sent yet
    lingered.set()
    await settle()
    producer.acknowledge()
    await asyncio.gather(first, second)
    assert [len(batch.records) for _, batch, _ in producer.sent] == [2] and group.groups == 1
