"""Prometheus metrics of the onboarding service (beside FastStream's per-topic message metrics)."""

from __future__ import annotations

from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from onboarding.domain import PingOutcome


class InFlight(Protocol):
    """Something with verifications in flight (the VerificationWorker)."""

    @property
    def in_flight(self) -> int:
        """Verifications scheduled or running."""
        ...


class OnboardingMetrics:
    """Webhook verification outcomes, attempts and time-to-first-verify; verifications in flight."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.verifications = Counter(
            "trustportal_onboarding_verifications_total",
            "Webhook verifications by cohort and outcome (verified, failed): the cohort failure-rate alert's input",
            ["cohort", "outcome"],
            registry=registry,
        )
        self.attempts = Histogram(
            "trustportal_onboarding_verification_attempts",
            "Pings per webhook verification",
            buckets=(1, 2, 3, 4, 5, 10, 20),
            registry=registry,
        )
        self.ttfv = Histogram(
            "trustportal_onboarding_time_to_first_verify_seconds",
            "From the tenant request to its webhook verification",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
            registry=registry,
        )
        self.in_flight = Gauge(
            "trustportal_onboarding_verifications_in_flight",
            "Webhook verifications scheduled or running in this process",
            registry=registry,
        )

    def count_in_flight(self, worker: InFlight) -> None:
        """Export the worker's verifications in flight, read at each scrape."""
        self.in_flight.set_function(lambda: worker.in_flight)

    def observe(self, outcome: PingOutcome, ttfv_s: float, *, cohort: str) -> None:
        """Record one finished verification of a tenant of `cohort`."""
        self.verifications.labels(cohort=cohort, outcome="verified" if outcome.ok else "failed").inc()
        self.attempts.observe(outcome.attempts)
        if outcome.ok:
            self.ttfv.observe(ttfv_s)
