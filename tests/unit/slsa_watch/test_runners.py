"""Runner telemetry: job records fold in any order; a pool's depth, waits, utilisation and saturation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from schemas.runner import (
    HermeticJobFinished,
    HermeticJobFinishedData,
    HermeticJobQueued,
    HermeticJobQueuedData,
    HermeticJobStarted,
    HermeticJobStartedData,
)
from service_kit.testing import InMemoryProjectionStore
from slsa_watch.runners import JobRecord, Pools, PoolSnapshot, quantile, snapshot

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
POOLS = Pools({"hermetic-linux": 4}, wait_bound_s=120, window=timedelta(minutes=10))


def job(job_id: str, queued: float, started: float | None = None, finished: float | None = None, *,
        group: str = "hermetic-refs/heads/main", pool: str = "hermetic-linux") -> list:  # fmt: skip
    """Events of one job; times in minutes before NOW."""
    base = {"job_id": job_id, "pool": pool, "concurrency_group": group, "repo": "github.com/acme/robot"}

    def at(minutes: float) -> datetime:
        return NOW - timedelta(minutes=minutes)

    def event(kind, data_kind, minutes: float, **fields):
        return kind.create(data=data_kind(**base, **fields), source="/ci", tenantid="acme", time=at(minutes))

    events: list = [event(HermeticJobQueued, HermeticJobQueuedData, queued, queued_at=at(queued))]
    if started is not None:
        events.append(event(HermeticJobStarted, HermeticJobStartedData, started, runner="r1", started_at=at(started)))
    if finished is not None:
        events.append(event(HermeticJobFinished, HermeticJobFinishedData, finished, outcome="succeeded",
                            finished_at=at(finished)))  # fmt: skip
    return events


def fold(events) -> JobRecord:
    record: JobRecord | None = None
    for event in events:
        record = JobRecord.folded(record, event) or record
    assert record is not None
    return record


def test_a_jobs_record_is_the_same_whatever_the_order_and_repeats_of_its_events():
    events = job("j1", queued=9, started=7, finished=2)
    records = {fold(order).model_dump_json() for order in itertools.permutations(events)}
    assert len(records) == 1
    record = fold(events)
    assert record.outcome == "succeeded" and not record.waiting and not record.running
    assert JobRecord.folded(record, events[1]) is None  # a redelivery adds nothing


def test_queue_depth_waits_utilisation_and_saturation_of_a_pool():
    jobs = [
        fold(job("a", queued=9, started=8, finished=3)),  # waited 1 min, ran 5 of the window's minutes
        fold(job("b", queued=6, started=5)),  # waited 1 min, running 5 min so far
        fold(job("c", queued=4, group="hermetic-refs/tags/v2")),  # waiting 4 min
        fold(job("d", queued=1)),  # waiting 1 min
        fold(job("x", queued=5, started=4, pool="other")),  # another pool
    ]
    s = snapshot("hermetic-linux", jobs, POOLS, NOW)
    assert (s.queue_depth, s.running) == (2, 1)
    assert s.depth_by_group == {"hermetic-refs/tags/v2": 1, "hermetic-refs/heads/main": 1}
    assert sorted([s.wait_p50_s, s.wait_p95_s]) == [60.0, 240.0]
    assert s.utilisation == pytest.approx((5 + 5) / (4 * 10))
    assert s.saturated  # p95 240 s > bound 120 s: the job waiting 4 minutes counts before it starts


def test_a_quiet_pool_within_its_bound_is_not_saturated_and_old_jobs_drop_out_of_the_window():
    jobs = [fold(job("old", queued=60, started=50, finished=40)), fold(job("new", queued=3, started=2.5))]
    s = snapshot("hermetic-linux", jobs, POOLS, NOW)
    assert (s.queue_depth, s.running, s.wait_p95_s) == (0, 1, 30.0)
    assert not s.saturated and s.utilisation == pytest.approx(2.5 / 40)


def test_quantiles_by_nearest_rank():
    assert quantile([], 0.95) == 0.0
    assert quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert quantile(list(map(float, range(1, 101))), 0.95) == 95.0


async def test_a_saturation_signal_repeated_after_a_failure_or_a_restart_keeps_its_id():
    from prometheus_client import CollectorRegistry
    from slsa_watch.runner_watch import RunnerGauges, RunnerWatch

    jobs: InMemoryProjectionStore[JobRecord] = InMemoryProjectionStore()
    snapshots: InMemoryProjectionStore[PoolSnapshot] = InMemoryProjectionStore()
    sent: list = []

    class FlakySignals:
        async def publish(self, signals) -> None:
            sent.extend(signals)
            if len(sent) == 1:
                raise ConnectionError("Kafka went away after the send")

    def watch() -> RunnerWatch:
        return RunnerWatch(POOLS, jobs, snapshots, RunnerGauges(CollectorRegistry()), FlakySignals(), lambda: NOW)

    first = watch()
    with pytest.raises(ConnectionError):
        await first.apply(job("stuck", queued=5))  # waiting 5 min > the 2 min bound: saturated
    await watch().refresh()  # a restart: the state was never stored, so the signal is repeated
    assert [s.type for s in sent] == ["io.trustportal.runner.queue-saturated.v1"] * 2
    assert sent[0].id == sent[1].id  # the same id: consumers keep it once
    await watch().refresh()
    assert len(sent) == 2  # stored now: no further signal
