"""The hermetic runner pool's capacity plan: an M/M/c (Erlang C) model, and a simulation to check it.

Pure. Jobs arrive as a Poisson process (`arrivals_per_hour`), run for exponentially distributed times
(mean `mean_job_minutes`) on `c` identical runners, first come first served. Erlang C gives the
probability that a job waits, and the wait beyond that is exponential with rate c*mu - lambda, so
P(W > t) = C * exp(-(c*mu - lambda) * t): the p95 wait follows in closed form. Release jobs served
first (non-preemptive priority) wait on average by Cobham's formula. `simulate` runs the same queue
job by job, so a test (and `slsa-watch capacity --check`) can compare the model with it.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

MAX_POOL = 10_000


@dataclass(frozen=True)
class Load:
    """What the pool must serve."""

    arrivals_per_hour: float
    mean_job_minutes: float

    def __post_init__(self) -> None:
        if self.arrivals_per_hour <= 0 or self.mean_job_minutes <= 0:
            raise ValueError("arrivals per hour and mean job minutes must be positive")

    @property
    def rate(self) -> float:
        """lambda, jobs per minute."""
        return self.arrivals_per_hour / 60.0

    @property
    def service_rate(self) -> float:
        """mu, jobs per minute per runner."""
        return 1.0 / self.mean_job_minutes

    @property
    def offered(self) -> float:
        """Offered load in Erlangs (busy runners needed on average)."""
        return self.rate / self.service_rate


@dataclass(frozen=True)
class QueueFigures:
    """The model's figures for one pool size (minutes)."""

    runners: int
    utilisation: float
    p_wait: float
    mean_wait: float
    p95_wait: float


def erlang_c(runners: int, offered: float) -> float:
    """Probability that an arriving job waits, for `runners` servers and `offered` Erlangs (needs runners > offered)."""
    if runners <= offered:
        return 1.0
    b = 1.0  # Erlang B by its stable recursion, then C from B
    for k in range(1, runners + 1):
        b = offered * b / (k + offered * b)
    return runners * b / (runners - offered * (1 - b))


def wait_quantile(runners: int, load: Load, q: float) -> float:
    """The q-quantile of the wait in minutes (inf when the pool cannot keep up)."""
    if runners <= load.offered:
        return math.inf
    c = erlang_c(runners, load.offered)
    if c <= 1 - q:
        return 0.0
    return math.log(c / (1 - q)) / (runners * load.service_rate - load.rate)


def figures(runners: int, load: Load) -> QueueFigures:
    """Utilisation, P(wait), mean and p95 wait for a pool of `runners`."""
    stable = runners > load.offered
    c = erlang_c(runners, load.offered)
    return QueueFigures(
        runners=runners,
        utilisation=min(1.0, load.offered / runners),
        p_wait=c,
        mean_wait=c / (runners * load.service_rate - load.rate) if stable else math.inf,
        p95_wait=wait_quantile(runners, load, 0.95),
    )


def pool_size(load: Load, target_p95_minutes: float) -> int:
    """The fewest runners whose p95 wait is within the target."""
    runners = max(1, math.floor(load.offered) + 1)
    while wait_quantile(runners, load, 0.95) > target_p95_minutes:
        runners += 1
        if runners > MAX_POOL:
            raise ValueError(f"no pool of up to {MAX_POOL} runners meets the target")
    return runners


def priority_mean_waits(runners: int, load: Load, release_share: float) -> tuple[float, float]:
    """Mean waits (minutes) of release jobs served first and of the rest (non-preemptive, Cobham)."""
    if runners <= load.offered:
        return math.inf, math.inf
    capacity = runners * load.service_rate
    w0 = erlang_c(runners, load.offered) / capacity
    s1 = release_share * load.rate / capacity
    s2 = load.rate / capacity
    return w0 / (1 - s1), w0 / ((1 - s1) * (1 - s2))


@dataclass(frozen=True)
class Simulated:
    """Waits observed in a simulation (minutes), overall and by class."""

    waits: list[float]
    release_waits: list[float]
    other_waits: list[float]

    @property
    def p_wait(self) -> float:
        """Share of jobs that waited at all."""
        return sum(1 for w in self.waits if w > 1e-12) / len(self.waits)

    def quantile(self, q: float) -> float:
        """The q-quantile of the waits."""
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def simulate(
    runners: int, load: Load, *, jobs: int = 100_000, seed: int = 7, release_share: float = 0.0, warmup: int = 5_000
) -> Simulated:
    """Run the queue job by job (discrete events): Poisson arrivals, exponential service, `runners` servers.

    With `release_share`, that share of jobs are release jobs taken first from the queue (not preempting
    running jobs). The first `warmup` jobs are left out of the figures (the queue starts empty).
    """
    rng = random.Random(seed)
    free_at = [0.0] * runners  # when each runner next becomes free (a heap)
    heapq.heapify(free_at)
    # Non-preemptive priority needs the queue itself: arrivals and departures in time order.
    t = 0.0
    arrivals = []
    for _ in range(jobs):
        t += rng.expovariate(load.rate)
        arrivals.append((t, rng.random() < release_share, rng.expovariate(load.service_rate)))
    waits: list[float] = [0.0] * jobs
    queue: list[tuple[int, float, int]] = []  # (class, arrival time, index)
    i = 0
    while i < jobs or queue:
        next_free = free_at[0]
        if i < jobs and (arrivals[i][0] <= next_free or not queue):
            heapq.heappush(queue, (0 if arrivals[i][1] else 1, arrivals[i][0], i))
            now = arrivals[i][0]
            i += 1
            if next_free > now:
                continue
        else:
            now = next_free
        # a runner is free at `now` (or earlier) and the queue is not empty: start the first job
        _, arrived, index = heapq.heappop(queue)
        start = max(heapq.heappop(free_at), arrived)
        waits[index] = start - arrived
        heapq.heappush(free_at, start + arrivals[index][2])
    kept = range(warmup, jobs)
    return Simulated(
        waits=[waits[k] for k in kept],
        release_waits=[waits[k] for k in kept if arrivals[k][1]],
        other_waits=[waits[k] for k in kept if not arrivals[k][1]],
    )
