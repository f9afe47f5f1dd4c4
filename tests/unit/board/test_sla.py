"""The SLA report on plain probes: good, bad and unknown minutes, the budget, incidents, gaps and latency."""

from __future__ import annotations

from datetime import timedelta

from board.sla import Probe, incidents, sla_report
from service_kit.periods import Period

from tests.unit.board.factories import every_10s

MAY = Period.month(2026, 5)
T0 = MAY.start


def test_no_probes_is_unknown_not_up():
    report = sla_report([], MAY, MAY.end)
    assert report.state == "unknown"
    assert report.availability_minutes is None and report.burn_rate is None
    assert report.unknown_minutes == report.minutes_in_period == 31 * 24 * 60
    assert report.gaps[0].minutes == 31 * 24 * 60


def test_a_failed_probe_makes_its_minute_bad_and_burns_the_budget():
    day = T0 + timedelta(days=1)
    probes = every_10s(T0, day) + every_10s(T0, day, target="tenant-read", latency=40.0)
    outage = [p._replace(ok=False, status=503, error="status 503") if day - timedelta(minutes=30) <= p.probed_at <
              day - timedelta(minutes=20) and p.target == "tenant-read" else p for p in probes]  # fmt: skip
    report = sla_report(outage, MAY, day)
    assert report.bad_minutes == 10
    assert report.good_minutes == 24 * 60 - 10
    assert report.unknown_minutes == 0
    assert report.availability_minutes == (24 * 60 - 10) / (24 * 60)
    assert report.state == "breached"
    assert round(report.budget_minutes, 3) == round(0.0005 * 31 * 24 * 60, 3)
    assert round(report.budget_burned_pct, 1) == round(100 * 10 / (0.0005 * 31 * 24 * 60), 1)
    assert report.burn_rate is not None and round(report.burn_rate, 2) == round((10 / (24 * 60)) / 0.0005, 2)
    (incident,) = report.incidents
    assert incident.targets == ("tenant-read",)
    assert incident.start == day - timedelta(minutes=30)
    assert incident.end == day - timedelta(minutes=20)  # the next passing probe
    assert incident.failed_probes == 60 and incident.first_error == "status 503" and not incident.ongoing
    latency = {t.target: (t.latency_p50_ms, t.latency_p95_ms) for t in report.targets}
    assert latency == {"readyz": (20.0, 20.0), "tenant-read": (40.0, 40.0)}


def test_a_prober_outage_is_a_gap_of_unknown_minutes_that_costs_the_portal_nothing():
    probes = every_10s(T0, T0 + timedelta(hours=1)) + every_10s(T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    report = sla_report(probes, MAY, T0 + timedelta(hours=3))
    assert (report.good_minutes, report.bad_minutes, report.unknown_minutes) == (120, 0, 60)
    assert report.state == "met" and report.availability_minutes == 1.0
    assert [(g.start, g.minutes) for g in report.gaps] == [(T0 + timedelta(hours=1), 60)]


def test_overlapping_failures_of_both_targets_are_one_incident_and_a_run_still_failing_is_ongoing():
    a = every_10s(T0, T0 + timedelta(minutes=5), ok=False, error="timeout")
    b = every_10s(T0 + timedelta(minutes=3), T0 + timedelta(minutes=8), target="tenant-read", ok=False)
    recovered = every_10s(T0 + timedelta(minutes=5), T0 + timedelta(minutes=10))
    found = incidents(a + recovered + b)
    assert len(found) == 1
    (incident,) = found
    assert incident.targets == ("readyz", "tenant-read")
    assert incident.first_error == "timeout"
    assert incident.ongoing  # tenant-read never passed again
    assert incident.failed_probes == len(a) + len(b)


def test_latency_quantiles_count_answered_probes_only():
    answered = [Probe("readyz", T0 + timedelta(seconds=i), True, 200, float(i + 1), None) for i in range(100)]
    timed_out = [Probe("readyz", T0 + timedelta(seconds=200), False, None, 5000.0, "timeout")]
    (readyz, _) = sla_report(answered + timed_out, MAY, MAY.end).targets
    assert (readyz.latency_p50_ms, readyz.latency_p95_ms) == (50.0, 95.0)
    assert (readyz.probes, readyz.failed) == (101, 1)
