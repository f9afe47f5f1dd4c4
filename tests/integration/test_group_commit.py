"""The group commit on the real broker: concurrent records share producer requests, none is lost or reordered."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from schemas.audit import AccessDecided, AccessDecidedData
from service_kit.broker import ensure_topics
from service_kit.publishing import GroupCommitPublisher
from service_kit.settings import ServiceSettings

from tests.integration.conftest import KAFKA
from tests.integration.support import read_topic

TENANTS = ("acme", "beta", "cobalt", "delta-forge")


def decision(tenant: str, n: int) -> AccessDecided:
    now = datetime.now(UTC)
    return AccessDecided.create(
        data=AccessDecidedData(
            subject=f"user-{n}", subject_kind="user", tenant=tenant, action="overview:read",
            resource=f"/tenants/{tenant}/overview/{n}", allowed=True, policy_bundle_sha256="0" * 64,
            decided_at=now,
        ),
        source="/tests", tenantid=tenant, subject=f"/tenants/{tenant}/overview", time=now,
    )  # fmt: skip


async def test_concurrent_records_are_acknowledged_in_few_groups_and_arrive_once_in_order_per_tenant():
    settings = ServiceSettings(kafka_bootstrap=KAFKA, topic_prefix=f"gc-{uuid.uuid4().hex[:8]}.")
    topic = settings.topic("audit.events.v1")
    await ensure_topics(KAFKA, [topic])
    group = GroupCommitPublisher(KAFKA, "tests-group-commit", topic=topic, timeout_s=10.0)
    await group.start()
    try:
        events = [decision(TENANTS[n % 4], n) for n in range(400)]
        await asyncio.gather(*(group.publish(event) for event in events))
    finally:
        await group.stop()
    assert group.records == 400
    assert group.groups <= 20  # 400 concurrent callers, a handful of producer requests (one per group)
    records = await read_topic(settings, "audit.events.v1")  # type: ignore[arg-type]
    received = [AccessDecided.model_validate_json(r.value) for r in records]
    assert sorted(e.id for e in received) == sorted(e.id for e in events)  # each exactly once
    for tenant in TENANTS:
        sent = [e.id for e in events if e.tenantid == tenant]
        assert [e.id for e in received if e.tenantid == tenant] == sent  # a tenant's records keep their order
        assert len({r.partition for r in records if r.key == tenant.encode()}) == 1
