"""Hermetic runner telemetry: jobs folded from their events, and each pool's queue figures at a moment.

Pure: events and a clock reading in, records and snapshots out. A job's record merges its events in
any order (queued, started and finished each fill their own fields), so redelivery and reordering
change nothing. Waits count jobs that started within the window and, at their age so far, jobs still
waiting, so a pool whose runners stopped picking work up shows it at once instead of going quiet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field
from schemas.envelope import Contract, UtcDatetime
from schemas.runner import HermeticJobFinished, HermeticJobQueued, HermeticJobStarted, Outcome
from service_kit.quantiles import nearest_rank


class JobRecord(Contract):
    """One hermetic job (collection `runner_jobs`, key: job id)."""

    job_id: str
    tenant: str
    pool: str
    concurrency_group: str
    repo: str
    priority: str = "default"
    queued_at: UtcDatetime | None = None
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    outcome: Outcome | None = None

    @property
    def waiting(self) -> bool:
        """Queued and not yet started (nor finished: a job cancelled in the queue never starts)."""
        return self.started_at is None and self.finished_at is None

    @property
    def running(self) -> bool:
        """Started and not finished."""
        return self.started_at is not None and self.finished_at is None

    @classmethod
    def folded(cls, current: JobRecord | None, event: JobEvent) -> JobRecord | None:
        """The record after `event`, or None when the event adds nothing new."""
        d = event.data
        base = current or cls(
            job_id=d.job_id, tenant=event.tenantid, pool=d.pool, concurrency_group=d.concurrency_group, repo=d.repo
        )
        update: dict[str, object]
        if isinstance(event, HermeticJobQueued):
            update = {"queued_at": event.data.queued_at, "priority": event.data.priority}
        elif isinstance(event, HermeticJobStarted):
            update = {"started_at": event.data.started_at}
        else:
            update = {"finished_at": event.data.finished_at, "outcome": event.data.outcome}
        if current is not None and all(getattr(current, k) == v for k, v in update.items()):
            return None
        return base.model_copy(update=update)


JobEvent = HermeticJobQueued | HermeticJobStarted | HermeticJobFinished


class PoolSnapshot(Contract):
    """A pool's queue at one moment (collection `runner_pools`, key: pool)."""

    pool: str
    size: int = Field(ge=0, description="Runners in the pool (configured).")
    queue_depth: int
    running: int
    depth_by_group: dict[str, int]
    wait_p50_s: float
    wait_p95_s: float
    utilisation: float
    window_s: float
    saturated: bool
    at: UtcDatetime


@dataclass(frozen=True)
class Pools:
    """Pool sizes (runners per pool) and the saturation bound on wait p95."""

    sizes: dict[str, int]
    wait_bound_s: float
    window: timedelta = timedelta(minutes=15)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by the nearest-rank method (0 for no values: an empty pool waits for nothing)."""
    return nearest_rank(values, q) or 0.0


def snapshot(pool: str, jobs: Iterable[JobRecord], pools: Pools, now: datetime) -> PoolSnapshot:
    """The pool's queue depth, waits, utilisation and saturation at `now`."""
    since = now - pools.window
    mine = [j for j in jobs if j.pool == pool]
    waiting = [j for j in mine if j.waiting and j.queued_at is not None]
    waits = [(now - j.queued_at).total_seconds() for j in waiting if j.queued_at is not None]
    waits += [
        (j.started_at - j.queued_at).total_seconds()
        for j in mine
        if j.started_at is not None and j.queued_at is not None and j.started_at >= since
    ]
    busy = 0.0
    for j in mine:
        if j.started_at is None:
            continue
        begin, end = max(j.started_at, since), min(j.finished_at or now, now)
        busy += max(0.0, (end - begin).total_seconds())
    size = pools.sizes.get(pool, 0)
    window_s = pools.window.total_seconds()
    p95 = quantile(waits, 0.95)
    return PoolSnapshot(
        pool=pool,
        size=size,
        queue_depth=len(waiting),
        running=sum(1 for j in mine if j.running),
        depth_by_group=dict(Counter(j.concurrency_group for j in waiting)),
        wait_p50_s=quantile(waits, 0.5),
        wait_p95_s=p95,
        utilisation=min(1.0, busy / (size * window_s)) if size else 0.0,
        window_s=window_s,
        saturated=p95 > pools.wait_bound_s,
        at=now,
    )


def current(jobs: Iterable[JobRecord], now: datetime, window: timedelta) -> list[JobRecord]:
    """The jobs a snapshot can still count: unfinished, or finished within the window."""
    since = now - window
    return [j for j in jobs if j.finished_at is None or j.finished_at >= since]
