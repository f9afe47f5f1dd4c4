"""Helpers for tests on the real stack: requests, topic reads, polling, document reads."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from onboarding import projections
from onboarding.settings import OnboardingSettings
from pymongo import MongoClient
from schemas.envelope import CloudEvent
from schemas.read_models import CohortMember, CohortView
from schemas.tenant import TenantRequested, TenantRequestedData
from service_kit.broker import build_broker
from service_kit.publishing import publish_event
from service_kit.settings import ServiceSettings


def request(slug: str, url: str, *, cohort: str = "it", id: str | None = None, **fields: str) -> TenantRequested:
    now = datetime.now(UTC)
    data = TenantRequestedData(slug=slug, webhook_url=url, cohort=cohort, requested_at=now, **fields)
    return TenantRequested.create(data=data, source="/tests", tenantid=slug, time=now, id=id)


async def read_topic(settings: OnboardingSettings, topic: str, *, idle_s: float = 1.0) -> list:
    """Every record on a topic, from the beginning, until no record arrives for `idle_s`."""
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle_s * 1000))
            if not batch:
                return records
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float = 30.0, what: str = "") -> None:
    """`wait_for` for asyncio: poll until `check` is true without blocking the loop; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what or check}")


async def consumed(settings: ServiceSettings, group: str, topic: str, timeout: float = 30.0) -> None:
    """Wait until `group` has committed every record on `topic` (on all partitions): its handler saw them all."""
    from aiokafka.admin import AIOKafkaAdminClient

    name = settings.topic(topic)
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await probe.start()
    await admin.start()
    try:
        await probe.topics()  # fetches the metadata partitions_for_topic reads
        parts = [TopicPartition(name, p) for p in sorted(probe.partitions_for_topic(name) or ())]
        ends = await probe.end_offsets(parts)

        async def caught_up() -> bool:
            committed = await admin.list_consumer_group_offsets(group, partitions=parts)
            return all(committed.get(p) is not None and committed[p].offset >= ends[p] for p in parts if ends[p])

        await eventually(caught_up, timeout=timeout, what=f"{group} to consume {name}")
    finally:
        await admin.close()
        await probe.stop()


def tenant(mongo: MongoClient, settings: OnboardingSettings, slug: str) -> dict | None:
    found: dict | None = mongo[settings.mongo_db]["onboarding_tenants"].find_one({"_id": slug})
    return found


def cohort(mongo: MongoClient, settings: OnboardingSettings, name: str) -> CohortView:
    members = mongo[settings.mongo_db]["onboarding_cohorts"].find({"cohort": name})
    return projections.cohort_view(name, [CohortMember.model_validate(m) for m in members])


def poll(check: Callable[[], Any], *, timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Call `check` (blocking) until it answers something truthy or `timeout` passes; its last answer either way.

    The one polling loop of the integration and end-to-end tests: `wait_for` fails when time runs out,
    `eventually` is its asyncio twin.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_for(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    """Poll `check` until it returns something truthy, and return that; fail naming `what`."""
    if value := poll(check, timeout=timeout):
        return value
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextlib.asynccontextmanager
async def publisher(settings: ServiceSettings, default_topic: str) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """A send(message, topic=default_topic) that publishes events, or raw bytes (a poison record), on the stack."""
    broker, _ = build_broker(settings, group="tests")
    await broker.connect()

    async def send(message: CloudEvent | bytes, topic: str = default_topic) -> None:
        if isinstance(message, bytes):
            await broker.publish(message, topic=settings.topic(topic), key=b"poison")
        else:
            await publish_event(broker, message, topic=settings.topic(topic))

    try:
        yield send
    finally:
        await broker.stop()
