"""A week of the platform's metrics at five-minute resolution, as promtool's input series.

Shaped like the benchmarks' load, with a day's rhythm (traffic peaks mid-day at 1.6x, troughs at 0.4x):
the portal answering ~20 requests a second with 1% each of 401 and 403; the board's prober calling two
targets every 10 seconds; slsa-watch verifying ~0.7 submissions a second, 5% rejected; evidence building
a pack every ~2.5 minutes; a 50-tenant cohort onboarding on the second day (bench-onboarding's size);
consumer lag and the occasional dead letter. The noise is seeded, so a run is reproducible. `incidents`
adds what should page: a 10-minute portal outage and a cohort whose webhooks fail at 15%. The series begin
three days before the week (WARMUP), so its long windows are full from the start, as in production.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

STEP_S = 300
DAY = 24 * 3600 // STEP_S  # steps in a day
WEEK = 7 * DAY
# Three days before the week, so that its first day's 3-day windows hold three days, as in production.
WARMUP = 3 * DAY
END = WARMUP + WEEK


def rhythm(i: int) -> float:
    """Traffic at step `i` relative to the mean: 0.4 at night, 1.6 at mid-day."""
    return 1 + 0.6 * math.sin(2 * math.pi * (i - DAY / 4) / DAY)


@dataclass
class Week:
    """Series name (PromQL selector) -> one value per step."""

    series: dict[str, list[float]] = field(default_factory=dict)

    def counter(self, name: str, increments: Iterator[float]) -> None:
        """A counter from its increments per step."""
        total, values = 0.0, []
        for inc in increments:
            total += inc
            values.append(total)
        self.series[name] = values

    def gauge(self, name: str, values: Iterator[float]) -> None:
        """A gauge, one value per step."""
        self.series[name] = list(values)

    def input_series(self) -> list[dict[str, str]]:
        """promtool's input_series."""
        return [{"series": name, "values": " ".join(f"{v:g}" for v in values)} for name, values in self.series.items()]


def chance(rng: random.Random, trials: int, p: float) -> int:
    """How many of `trials` independent events of probability `p` happened (binomial)."""
    return sum(1 for _ in range(trials) if rng.random() < p)


def week(*, incidents: bool, seed: int = 7) -> Week:
    """The week's series; with `incidents`, an outage on day 3 and a failing cohort on day 5."""
    rng = random.Random(seed)
    w = Week()
    steps = range(END + 1)
    at_ = WARMUP + 3 * DAY + 14 * 12  # day 3 of the week, 14:00
    outage = set(range(at_, at_ + 2)) if incidents else set()

    # The prober: two targets, a call every 10 s each (30 a step); rare failures, none slow-and-failed.
    for target in ("readyz", "tenant-read"):
        failed = [30 if i in outage else chance(rng, 30, 0.0002) for i in steps]
        w.counter(f'trustportal_probe_results_total{{target="{target}",outcome="ok"}}', (30 - f for f in failed))
        w.counter(f'trustportal_probe_results_total{{target="{target}",outcome="failed"}}', iter(failed))
        slow = [chance(rng, 30, 0.003) for _ in steps]
        w.counter(f'trustportal_probe_latency_seconds_bucket{{target="{target}",le="0.3"}}', (30 - s for s in slow))
        w.counter(f'trustportal_probe_latency_seconds_count{{target="{target}"}}', (30 for _ in steps))

    # The portal: ~20 requests a second through the day, 1% refused with 401 and 1% with 403.
    route = 'route="/api/v1/tenants/{tenant}/overview",method="GET"'
    calls = [round(6000 * rhythm(i)) for i in steps]
    for status, share in (("200", 0.98), ("401", 0.01), ("403", 0.01)):
        w.counter(f"trustportal_http_requests_total{{{route},status=\"{status}\"}}",
                  (round(c * share * (0.9 + 0.2 * rng.random())) for c in calls))  # fmt: skip

    # Cohorts: 50 tenants on day 2 (2 failures: 4%); with incidents, 40 on day 5 of which 6 fail (15%).
    cohorts = [("wave-a", WARMUP + DAY + 9 * 12, 50, 2)]
    cohorts += [("wave-b", WARMUP + 5 * DAY + 10 * 12, 40, 6)] if incidents else []
    ttfv_all, ttfv_fast = [0] * len(steps), [0] * len(steps)
    for name, start, tenants, fails in cohorts:
        verified, failed = [0] * len(steps), [0] * len(steps)
        failing = set(range(0, tenants, tenants // fails)[:fails])
        for n in range(tenants):
            at = start + n // 4  # four tenants verified a step: the cohort takes about an hour
            if n in failing:
                failed[at + 2] += 1  # a failure ends after its retries
            else:
                verified[at] += 1
                ttfv_all[at] += 1
                # One slow partner, late in the cohort. (Early on, one slow verification of the first few is
                # a burn over the ticket's windows: the SLO's low-volume limit, see the runbook.)
                ttfv_fast[at] += 0 if n == tenants - 3 else 1
        w.counter(f'trustportal_onboarding_verifications_total{{cohort="{name}",outcome="verified"}}', iter(verified))
        w.counter(f'trustportal_onboarding_verifications_total{{cohort="{name}",outcome="failed"}}', iter(failed))
    w.counter('trustportal_onboarding_time_to_first_verify_seconds_bucket{le="300"}', iter(ttfv_fast))
    w.counter("trustportal_onboarding_time_to_first_verify_seconds_count", iter(ttfv_all))

    # slsa-watch: ~0.7 verdicts a second, 5% rejected, 0.3% slower than 50 ms; adoption above the target.
    verdicts = [round(200 * rhythm(i)) for i in steps]
    w.counter('trustportal_slsa_verdicts_total{outcome="verified",level="3"}', (round(v * 0.95) for v in verdicts))
    w.counter('trustportal_slsa_verdicts_total{outcome="rejected",level="0"}', (round(v * 0.05) for v in verdicts))
    w.counter('trustportal_slsa_verification_seconds_bucket{le="0.05"}',
              (v - chance(rng, v, 0.003) for v in verdicts))  # fmt: skip
    w.counter("trustportal_slsa_verification_seconds_count", iter(verdicts))
    w.gauge("trustportal_slsa_repos_at_l3", (9 for _ in steps))
    w.gauge("trustportal_slsa_repos_at_l3_target", (8 for _ in steps))
    w.gauge('trustportal_runner_saturated{pool="hermetic"}', (0 for _ in steps))
    w.gauge('trustportal_runner_utilisation_ratio{pool="hermetic"}', (0.2 + 0.3 * rhythm(i) for i in steps))

    # evidence: a pack every ~2.5 minutes through the day, p50 2-4 minutes, 1% over 7; a rare failure.
    packs = [max(1, round(2 * rhythm(i))) for i in steps]
    w.counter('trustportal_evidence_time_to_pack_seconds_bucket{le="420"}', (p - chance(rng, p, 0.01) for p in packs))
    w.counter("trustportal_evidence_time_to_pack_seconds_count", iter(packs))
    w.gauge('trustportal_evidence_time_to_pack_quantile_seconds{quantile="0.5"}',
            (120 + 120 * rng.random() for _ in steps))  # fmt: skip
    w.counter("trustportal_evidence_packs_failed_total", (chance(rng, 1, 0.01) for _ in steps))
    w.counter('trustportal_board_packs_total{outcome="complete"}', (1 if i == WARMUP + 12 else 0 for i in steps))

    # Kafka: lag that comes and goes with the traffic; now and then a dead letter.
    lag = 'group="portal-api-audit",topic="audit.events.v1",partition="0"'
    w.gauge(f"trustportal_consumer_lag{{{lag}}}", (round(300 * rhythm(i) * rng.random()) for i in steps))
    w.counter('trustportal_dead_letters_total{topic="billing.events.v1"}', (chance(rng, 1, 0.005) for _ in steps))
    return w
