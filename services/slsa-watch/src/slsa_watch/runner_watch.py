"""Runner telemetry in the service: jobs kept in memory and in `runner_jobs`, pool snapshots in `runner_pools`.

Each consumed batch is folded into the job records; then every pool's snapshot is recomputed, stored,
exported as Prometheus gauges, and a change of saturation becomes RunnerQueueSaturated or
RunnerQueueRecovered. A tick recomputes the snapshots between batches too (a queue that nobody drains
grows older without any event). The last stored saturation state survives restarts, so a restart
neither repeats nor loses an alert.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge
from schemas.envelope import derived_id
from schemas.runner import PoolSignalData, RunnerQueueRecovered, RunnerQueueSaturated
from schemas.tenant import PLATFORM_TENANT

from slsa_watch.ports import Clock, SignalPublisher, WritableViews
from slsa_watch.runners import JobEvent, JobRecord, Pools, PoolSnapshot, current, snapshot

SOURCE = "/services/slsa-watch"
Signal = RunnerQueueSaturated | RunnerQueueRecovered


class RunnerGauges:
    """Prometheus gauges per pool (the saturation alert rule reads trustportal_runner_saturated)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, doc: str, *labels: str) -> Gauge:
            return Gauge(f"trustportal_runner_{name}", doc, ["pool", *labels], registry=registry)

        self.depth = gauge("queue_depth", "Hermetic jobs waiting for a runner")
        self.running = gauge("running_jobs", "Hermetic jobs running")
        self.wait = gauge("wait_seconds", "Queue wait over the window (jobs started and still waiting)", "quantile")
        self.utilisation = gauge("utilisation_ratio", "Busy runner time over the pool's capacity in the window")
        self.saturated = gauge("saturated", "1 while the pool's wait p95 exceeds its bound")

    def show(self, s: PoolSnapshot) -> None:
        """Export one pool's snapshot."""
        self.depth.labels(pool=s.pool).set(s.queue_depth)
        self.running.labels(pool=s.pool).set(s.running)
        self.wait.labels(pool=s.pool, quantile="0.5").set(s.wait_p50_s)
        self.wait.labels(pool=s.pool, quantile="0.95").set(s.wait_p95_s)
        self.utilisation.labels(pool=s.pool).set(s.utilisation)
        self.saturated.labels(pool=s.pool).set(1 if s.saturated else 0)


class RunnerWatch:
    """Folds runner events and keeps each pool's snapshot, gauges and saturation signal."""

    def __init__(
        self,
        pools: Pools,
        jobs: WritableViews[JobRecord],
        snapshots: WritableViews[PoolSnapshot],
        gauges: RunnerGauges,
        signals: SignalPublisher,
        clock: Clock,
    ) -> None:
        self.pools, self.jobs, self.snapshots = pools, jobs, snapshots
        self.gauges, self.signals, self.clock = gauges, signals, clock
        self.live: dict[str, JobRecord] = {}
        self.saturated: dict[str, bool] = {}  # each pool's state as last stored (and signalled)
        self.stored_at: dict[str, datetime] = {}  # when each pool's stored snapshot was taken
        self.loaded = False
        self.lock = asyncio.Lock()  # a batch and the ticker never interleave (one signal per change)

    async def load(self) -> None:
        """Read the jobs a snapshot still counts and each pool's last state (once, at start)."""
        now = self.clock()
        self.live = {j.job_id: j for j in current(await self.jobs.find({}), now, self.pools.window)}
        stored = await self.snapshots.find({})
        self.saturated = {s.pool: s.saturated for s in stored}
        self.stored_at = {s.pool: s.at for s in stored}
        self.loaded = True

    async def apply(self, events: Sequence[JobEvent]) -> None:
        """Fold a batch of job events, then refresh every pool."""
        async with self.lock:
            await self.fold(events)
            await self.refreshed()

    async def refresh(self) -> list[PoolSnapshot]:
        """Recompute, store and export every pool's snapshot; signal saturation changes."""
        async with self.lock:
            return await self.refreshed()

    async def fold(self, events: Sequence[JobEvent]) -> None:
        """Fold job events into the records (memory and `runner_jobs`)."""
        if not self.loaded:
            await self.load()
        changed: dict[str, JobRecord] = {}
        for event in events:
            job_id = event.data.job_id
            if job_id not in self.live and (stored := await self.jobs.get(job_id)) is not None:
                self.live[job_id] = stored  # an older job, no longer kept in memory
            record = JobRecord.folded(self.live.get(job_id), event)
            if record is not None:
                self.live[job_id] = changed[job_id] = record
        for job_id, record in sorted(changed.items()):
            await self.jobs.save(job_id, record)

    async def refreshed(self) -> list[PoolSnapshot]:
        """The pools' snapshots, stored, exported and signalled (the caller holds the lock)."""
        if not self.loaded:
            await self.load()
        now = self.clock()
        self.live = {j.job_id: j for j in current(self.live.values(), now, self.pools.window)}
        names = sorted(set(self.pools.sizes) | {j.pool for j in self.live.values()})
        taken = [snapshot(pool, self.live.values(), self.pools, now) for pool in names]
        signals = [self.signal_of(s) for s in taken if s.saturated != self.saturated.get(s.pool, False)]
        if signals:  # announced before the new state is stored: a failure here repeats the signal, never loses it
            await self.signals.publish(signals)
        for snap in taken:
            await self.snapshots.save(snap.pool, snap)
            self.saturated[snap.pool] = snap.saturated
            self.stored_at[snap.pool] = snap.at
            self.gauges.show(snap)
        return taken

    def signal_of(self, snap: PoolSnapshot) -> Signal:
        """The event announcing a pool's new saturation state.

        Its id derives from the pool and the stored state it changes (the snapshot it follows): a signal
        repeated because its state was not stored (a failure, a restart) carries the same id, and
        consumers keep it once.
        """
        data = PoolSignalData(
            pool=snap.pool,
            wait_p95_s=snap.wait_p95_s,
            bound_s=self.pools.wait_bound_s,
            queue_depth=snap.queue_depth,
            utilisation=snap.utilisation,
            at=snap.at,
        )
        kind = RunnerQueueSaturated if snap.saturated else RunnerQueueRecovered
        previous = self.stored_at.get(snap.pool)
        cause = f"{snap.pool}\x1f{previous.isoformat() if previous else 'first'}"
        return kind.create(
            data=data, source=SOURCE, tenantid=PLATFORM_TENANT, time=snap.at, id=derived_id(cause, kind.TYPE)
        )
