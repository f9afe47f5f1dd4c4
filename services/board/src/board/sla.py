"""The SLA of a month from the prober's results: pure.

- A minute is *bad* when a probe in it failed (either target), *good* when every probe in it passed,
  and *unknown* when no probe ran in it (the prober was down, not the portal): unknown minutes count
  neither for nor against the portal, and are reported. No probes at all is "unknown", never "up".
- Availability: good / (good + bad) minutes, against the objective (99.95%), and ok / all probes.
- Error budget: (1 - objective) x the month's minutes; burned = bad minutes / budget; burn rate = the
  bad share of observed minutes / (1 - objective) (1.0 spends the budget exactly by the month's end).
- Incidents: contiguous failures of a target, from its first failed probe to its next passing one,
  merged across targets when they overlap.
- Latency p50/p95 (nearest rank) per target over the probes that got an answer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Literal, NamedTuple, Protocol

from schemas.envelope import Contract
from schemas.sla import TARGETS
from service_kit.quantiles import nearest_rank

OBJECTIVE = 0.9995
State = Literal["met", "breached", "unknown"]


class Probe(NamedTuple):
    """One probe as the report needs it (a ProbeResult without its URL and prober)."""

    target: str
    probed_at: datetime
    ok: bool
    status: int | None
    latency_ms: float
    error: str | None


class TargetFigures(Contract):
    """One target's probes in the month."""

    target: str
    probes: int
    failed: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


class Incident(Contract):
    """A stretch of failed probes: when, how long, which targets, and the first error seen."""

    start: datetime
    end: datetime
    duration_s: float
    ongoing: bool
    targets: tuple[str, ...]
    failed_probes: int
    first_error: str


class Gap(Contract):
    """A stretch with no probes at all: the prober's outage, whatever the portal did."""

    start: datetime
    end: datetime
    minutes: int


class SlaReport(Contract):
    """The SLA of one month as of a date."""

    period: str
    as_of: datetime
    objective: float
    state: State
    minutes_in_period: int
    minutes_elapsed: int
    good_minutes: int
    bad_minutes: int
    unknown_minutes: int
    availability_minutes: float | None
    probes: int
    failed_probes: int
    availability_probes: float | None
    budget_minutes: float
    budget_burned_pct: float
    burn_rate: float | None
    targets: tuple[TargetFigures, ...]
    incidents: tuple[Incident, ...]
    gaps: tuple[Gap, ...]


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def minute_states(probes: Iterable[Probe]) -> dict[datetime, bool]:
    """Each minute with a probe: True when every probe in it passed (good), False when one failed (bad)."""
    states: dict[datetime, bool] = {}
    for p in probes:
        m = _minute(p.probed_at)
        states[m] = states.get(m, True) and p.ok
    return states


def incidents(probes: list[Probe]) -> list[Incident]:
    """Failure runs per target (first failure to the next pass), merged where they overlap."""
    runs: list[tuple[datetime, datetime, bool, str, int, str]] = []
    by_target: dict[str, list[Probe]] = defaultdict(list)
    for p in probes:
        by_target[p.target].append(p)
    for target, mine in by_target.items():
        start: Probe | None = None
        failed = 0
        for p in sorted(mine, key=lambda p: p.probed_at):
            if not p.ok:
                start = start or p
                failed += 1
            elif start is not None:
                runs.append((start.probed_at, p.probed_at, False, target, failed, start.error or "failed"))
                start, failed = None, 0
        if start is not None:
            last = max(p.probed_at for p in mine)
            runs.append((start.probed_at, last, True, target, failed, start.error or "failed"))
    merged: list[Incident] = []
    for begin, end, ongoing, target, failed, error in sorted(runs):
        if merged and begin <= merged[-1].end:
            prev = merged[-1]
            new_end = max(prev.end, end)
            merged[-1] = prev.model_copy(
                update={"end": new_end, "duration_s": (new_end - prev.start).total_seconds(),
                        "ongoing": prev.ongoing or ongoing, "targets": tuple(sorted({*prev.targets, target})),
                        "failed_probes": prev.failed_probes + failed}
            )  # fmt: skip
        else:
            merged.append(
                Incident(start=begin, end=end, duration_s=(end - begin).total_seconds(), ongoing=ongoing,
                         targets=(target,), failed_probes=failed, first_error=error)
            )  # fmt: skip
    return merged


def gaps(seen: set[datetime], start: datetime, end: datetime) -> list[Gap]:
    """Runs of minutes in [start, end) with no probe."""
    found: list[Gap] = []
    minute, run_start = start, None
    while minute < end:
        if minute not in seen:
            run_start = run_start or minute
        elif run_start is not None:
            found.append(Gap(start=run_start, end=minute, minutes=int((minute - run_start).total_seconds() // 60)))
            run_start = None
        minute += timedelta(minutes=1)
    if run_start is not None:
        found.append(Gap(start=run_start, end=end, minutes=int((end - run_start).total_seconds() // 60)))
    return found


class Span(Protocol):
    """A stretch of time the SLA is reported for: a month (Period) or a board pack's window; str() names it."""

    @property
    def start(self) -> datetime:
        """The first instant."""
        ...

    @property
    def end(self) -> datetime:
        """The first instant after."""
        ...


def sla_report(probes: Iterable[Probe], month: Span, now: datetime, *, objective: float = OBJECTIVE) -> SlaReport:
    """The SLA of `month` (or any span) as of min(now, its end), from the probes that ran in it."""
    return sla_with_days(probes, month, now, objective=objective)[0]


def sla_with_days(
    probes: Iterable[Probe], month: Span, now: datetime, *, objective: float = OBJECTIVE
) -> tuple[SlaReport, list[Day]]:
    """The SLA report and its daily series (for the availability chart), from one pass over the minutes."""
    as_of = min(now, month.end)
    mine = sorted((p for p in probes if month.start <= p.probed_at < as_of), key=itemgetter(1))
    minute_ok = minute_states(mine)
    good = sum(1 for ok in minute_ok.values() if ok)
    bad = len(minute_ok) - good
    total_minutes = int((month.end - month.start).total_seconds() // 60)
    elapsed = max(0, math.ceil((as_of - month.start).total_seconds() / 60))  # the minute under way counts
    observed = good + bad
    budget = (1 - objective) * total_minutes
    failed = sum(1 for p in mine if not p.ok)
    availability = good / observed if observed else None
    state: State = "unknown" if availability is None else "met" if availability >= objective else "breached"
    figures = []
    for target in TARGETS:
        of_target = [p for p in mine if p.target == target]
        answered = [p.latency_ms for p in of_target if p.status is not None]
        figures.append(
            TargetFigures(target=target, probes=len(of_target), failed=sum(1 for p in of_target if not p.ok),
                          latency_p50_ms=nearest_rank(answered, 0.5), latency_p95_ms=nearest_rank(answered, 0.95))
        )  # fmt: skip
    report = SlaReport(
        period=str(month),
        as_of=as_of,
        objective=objective,
        state=state,
        minutes_in_period=total_minutes,
        minutes_elapsed=elapsed,
        good_minutes=good,
        bad_minutes=bad,
        unknown_minutes=elapsed - observed,
        availability_minutes=availability,
        probes=len(mine),
        failed_probes=failed,
        availability_probes=(len(mine) - failed) / len(mine) if mine else None,
        budget_minutes=budget,
        budget_burned_pct=100 * bad / budget if budget else 0.0,
        burn_rate=(bad / observed) / (1 - objective) if observed and objective < 1 else None,
        targets=tuple(figures),
        incidents=tuple(incidents(mine)),
        gaps=tuple(gaps(set(minute_ok), month.start, month.start + timedelta(minutes=elapsed))),
    )
    return report, days_of(minute_ok, month.start, month.end)


class Day(Contract):
    """One day's minutes: good, bad and with no probes."""

    day: datetime
    good: int
    bad: int
    unknown: int


def days_of(states: dict[datetime, bool], start: datetime, end: datetime) -> list[Day]:
    """Each day of [start, end) with its good, bad and unknown minutes, from the minutes' states."""
    good: dict[int, int] = defaultdict(int)
    bad: dict[int, int] = defaultdict(int)
    for minute, ok in states.items():
        (good if ok else bad)[(minute - start) // timedelta(days=1)] += 1
    days: list[Day] = []
    day, n = start, 0
    while day < end:
        nxt = min(end, day + timedelta(days=1))
        minutes = int((nxt - day).total_seconds() // 60)
        days.append(Day(day=day, good=good[n], bad=bad[n], unknown=minutes - good[n] - bad[n]))
        day, n = nxt, n + 1
    return days
