"""Benchmark: 1,000 tenants onboarded end to end, against raw aiokafka on the same broker in the same run.

End to end = the batch CLI's publish path -> Kafka -> the onboarding service (a separate process)
-> MongoDB -> a signed webhook ping to a local receiver -> the facts on Kafka -> the cohort projection,
until the projection shows every tenant verified. The baseline produces and consumes the same
1,000 request messages with bare aiokafka on the same broker. Prints tenants/s, time-to-first-verify
p50/p95, the baseline rate, the ratio, and a 5-tenant cohort's p50 time-to-first-verify.

    make bench            (or: uv run python bench/onboarding/run.py --tenants 1000)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.fernet import Fernet
from onboarding import batch, projections
from onboarding.cli import publish_requests
from onboarding.follow import BatchProgress, FactFollower
from onboarding.settings import OnboardingSettings
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr
from pymongo import MongoClient
from schemas.read_models import CohortMember, CohortView, TenantState
from service_kit.broker import ensure_topics
from service_kit.testing.launcher import ServiceProcess, env_for
from service_kit.testing.webhooks import WebhookReceiver

from schemas import topics

BIN = Path(sys.executable).parent
TARGET_SECONDS_1000 = 60.0
TARGET_P50_5 = 1.0


def settings_for_run() -> OnboardingSettings:
    run = uuid.uuid4().hex[:8]
    return OnboardingSettings(
        mongo_db=f"bench_{run}",
        topic_prefix=f"bench-{run}.",
        secrets_key=SecretStr(Fernet.generate_key().decode()),
        webhook_allow_hosts=frozenset({"127.0.0.1"}),
        verify_concurrency=int(os.environ.get("BENCH_VERIFY_CONCURRENCY", "8")),
    )


def roster(n: int, receiver: WebhookReceiver, prefix: str) -> str:
    return "tenant,webhook\n" + "".join(f"{prefix}-{i:05d},{receiver.url(f'{prefix}-{i:05d}')}\n" for i in range(n))


async def onboard(settings: OnboardingSettings, text: str, cohort: str, timeout_s: float) -> tuple[float, CohortView]:
    """The CLI's path: follow tenant.events.v1, publish the batch, wait until every tenant is final."""
    parsed = batch.parse_roster(text)
    now = datetime.now(UTC)
    requests = [batch.to_request(r, cohort=cohort, plan="standard", now=now) for r in parsed.rows]
    progress = BatchProgress({r.data.slug: r.data.cohort for r in requests})
    follower = FactFollower(settings.kafka_bootstrap, settings.topic(topics.TENANT_EVENTS))
    await follower.start()
    started = time.perf_counter()
    try:
        await publish_requests(settings, requests, TracerProvider())
        await follower.follow(progress, deadline_s=timeout_s, on_change=lambda _: None)
    finally:
        await follower.stop()
    elapsed = time.perf_counter() - started
    members = [
        CohortMember(event_id=slug, cohort=cohort, slug=slug, state=TenantState(t.state), ttfv_s=t.ttfv_s, at=now)
        for slug, t in progress.tenants.items()
        if t.state != "pending"
    ]
    return elapsed, projections.cohort_view(cohort, members)


async def raw_baseline(settings: OnboardingSettings, payloads: list[bytes]) -> float:
    """Seconds for bare aiokafka to produce and consume the same messages on the same broker."""
    topic = settings.topic("baseline.raw")
    await ensure_topics(settings.kafka_bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=f"baseline-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=True,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        started = time.perf_counter()
        for payload in payloads:  # one awaited send per message, as the CLI publishes
            await producer.send_and_wait(topic, payload, key=b"k")
        seen = 0
        while seen < len(payloads):
            batch_ = await consumer.getmany(timeout_ms=1000)
            seen += sum(len(v) for v in batch_.values())
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    settings = settings_for_run()
    receiver = WebhookReceiver().start()
    logs = Path(".local/bench")
    logs.mkdir(parents=True, exist_ok=True)
    service = ServiceProcess(env_for(settings, ONBOARDING_LOG_LEVEL="WARNING"), logs / "onboarding.log", port=18081)
    service.start()
    try:
        text = roster(args.tenants, receiver, "bench")
        payloads = [
            batch.to_request(r, cohort="raw", plan="standard", now=datetime.now(UTC)).to_json()
            for r in batch.parse_roster(text).rows
        ]
        baseline_s = asyncio.run(raw_baseline(settings, payloads))
        elapsed, view = asyncio.run(onboard(settings, text, "bench-1000", args.timeout))
        small_elapsed, small = asyncio.run(onboard(settings, roster(5, receiver, "five"), "bench-5", 60))
    finally:
        service.stop()
        receiver.stop()
        MongoClient(settings.mongo_uri).drop_database(settings.mongo_db)

    rate = view.verified / elapsed
    raw_rate = len(payloads) / baseline_s
    results = {
        "tenants": args.tenants,
        "verified": view.verified,
        "failed": view.failed,
        "seconds": round(elapsed, 2),
        "tenants_per_s": round(rate, 1),
        "ttfv_p50_s": projections.ttfv_quantile(view, 0.5),
        "ttfv_p95_s": projections.ttfv_quantile(view, 0.95),
        "baseline_raw_aiokafka_msgs_per_s": round(raw_rate, 1),
        "ratio_end_to_end_vs_raw": round(rate / raw_rate, 3),
        "cohort5_seconds": round(small_elapsed, 3),
        "cohort5_ttfv_p50_s": projections.ttfv_quantile(small, 0.5),
    }
    print(f"onboarding end to end: {view.verified}/{args.tenants} verified in {elapsed:.2f} s = {rate:.1f} tenants/s")
    print(f"time-to-first-verify: p50 {results['ttfv_p50_s']:.3f} s, p95 {results['ttfv_p95_s']:.3f} s")
    print(f"baseline raw aiokafka produce+consume, same broker, same run: {raw_rate:.1f} msgs/s")
    print(f"ratio end-to-end / raw: {results['ratio_end_to_end_vs_raw']:.3f}")
    small_p50 = projections.ttfv_quantile(small, 0.5)
    print(f"5-tenant cohort: p50 time-to-first-verify {small_p50} s ({small.verified}/5 verified)")
    ok_1000 = view.verified == args.tenants and elapsed <= TARGET_SECONDS_1000
    ok_5 = (projections.ttfv_quantile(small, 0.5) or 99) <= TARGET_P50_5
    print(
        f"target 1,000 verified in <= {TARGET_SECONDS_1000:.0f} s: {'met' if ok_1000 else 'MISSED'}; "
        f"5-tenant p50 <= {TARGET_P50_5:.0f} s: {'met' if ok_5 else 'MISSED'}"
    )
    Path("bench/results").mkdir(parents=True, exist_ok=True)
    Path("bench/results/onboarding.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0 if ok_1000 and ok_5 else 1


if __name__ == "__main__":
    sys.exit(main())
