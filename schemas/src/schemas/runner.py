"""Runner context: hermetic CI jobs on the organisation's runner pools, on runner.events.v1.

The CI system reports each job's life (queued, started, finished) per pool and concurrency group
(e.g. `hermetic-refs/heads/main`); SLSA watch folds them into queue depth, waits and utilisation per
pool and publishes RunnerQueueSaturated / RunnerQueueRecovered when waits cross the configured bound.
Job events carry the tenant whose repository the job builds; pool signals carry schemas.tenant.PLATFORM_TENANT.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime

Outcome = Literal["succeeded", "failed", "cancelled"]


class HermeticJob(Contract):
    """What every job event names."""

    job_id: str = Field(min_length=1, max_length=200)
    pool: str = Field(min_length=1, max_length=100, description="Runner pool, e.g. hermetic-linux.")
    concurrency_group: str = Field(max_length=300, description="e.g. hermetic-<ref>: one job of a group runs at once.")
    repo: str = Field(max_length=300)


class HermeticJobQueuedData(HermeticJob):
    """A job waits for a runner."""

    priority: Literal["release", "default"] = "default"
    queued_at: UtcDatetime


class HermeticJobStartedData(HermeticJob):
    """A runner picked the job up."""

    runner: str
    started_at: UtcDatetime


class HermeticJobFinishedData(HermeticJob):
    """The job ended."""

    outcome: Outcome
    finished_at: UtcDatetime


class HermeticJobQueued(CloudEvent):
    """A hermetic job was queued."""

    TYPE: ClassVar[str] = "io.trustportal.runner.job-queued.v1"
    type: Literal["io.trustportal.runner.job-queued.v1"] = "io.trustportal.runner.job-queued.v1"
    data: HermeticJobQueuedData


class HermeticJobStarted(CloudEvent):
    """A hermetic job started on a runner."""

    TYPE: ClassVar[str] = "io.trustportal.runner.job-started.v1"
    type: Literal["io.trustportal.runner.job-started.v1"] = "io.trustportal.runner.job-started.v1"
    data: HermeticJobStartedData


class HermeticJobFinished(CloudEvent):
    """A hermetic job finished (succeeded, failed or cancelled)."""

    TYPE: ClassVar[str] = "io.trustportal.runner.job-finished.v1"
    type: Literal["io.trustportal.runner.job-finished.v1"] = "io.trustportal.runner.job-finished.v1"
    data: HermeticJobFinishedData


class PoolSignalData(Contract):
    """A pool's figures when its saturation state changed."""

    pool: str
    wait_p95_s: float = Field(ge=0, description="Over jobs started in the window and jobs still waiting.")
    bound_s: float = Field(gt=0, description="The configured bound on wait p95.")
    queue_depth: int = Field(ge=0)
    utilisation: float = Field(ge=0, le=1)
    at: UtcDatetime


class RunnerQueueSaturated(CloudEvent):
    """A pool's wait p95 exceeded its bound (alert)."""

    TYPE: ClassVar[str] = "io.trustportal.runner.queue-saturated.v1"
    type: Literal["io.trustportal.runner.queue-saturated.v1"] = "io.trustportal.runner.queue-saturated.v1"
    data: PoolSignalData


class RunnerQueueRecovered(CloudEvent):
    """A saturated pool's wait p95 is back within its bound."""

    TYPE: ClassVar[str] = "io.trustportal.runner.queue-recovered.v1"
    type: Literal["io.trustportal.runner.queue-recovered.v1"] = "io.trustportal.runner.queue-recovered.v1"
    data: PoolSignalData


RunnerEvent = Annotated[
    HermeticJobQueued | HermeticJobStarted | HermeticJobFinished | RunnerQueueSaturated | RunnerQueueRecovered,
    Field(discriminator="type"),
]
"""Any event on runner.events.v1."""
