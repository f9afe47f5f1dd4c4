"""Prometheus metrics of SLSA watch (beside FastStream's per-topic message metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from schemas.provenance import ProvenanceVerdict, ProvenanceVerified
from schemas.read_models import SlsaAdoption


class SlsaMetrics:
    """Verdicts by outcome and level, verification time, and organisation-wide adoption."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.verdicts = Counter(
            "trustportal_slsa_verdicts_total",
            "Provenance verdicts by outcome (verified, rejected) and SLSA Build level",
            ["outcome", "level"],
            registry=registry,
        )
        self.seconds = Histogram(
            "trustportal_slsa_verification_seconds",
            "CPU time to verify one submission (signature, statement, policy)",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=registry,
        )
        self.repos = Gauge(
            "trustportal_slsa_repos", "Repositories by newest verified Build level", ["level"], registry=registry
        )
        self.at_l3 = Gauge(
            "trustportal_slsa_repos_at_l3", "Repositories whose newest provenance verified at L3", registry=registry
        )
        self.target = Gauge(
            "trustportal_slsa_repos_at_l3_target", "Adoption target: repositories at L3", registry=registry
        )

    def observe(self, verdict: ProvenanceVerdict, seconds: float) -> None:
        """Count one verdict."""
        outcome = "verified" if isinstance(verdict, ProvenanceVerified) else "rejected"
        self.verdicts.labels(outcome=outcome, level=str(verdict.data.build_level)).inc()
        self.seconds.observe(seconds)

    def adoption(self, adoption: SlsaAdoption) -> None:
        """Publish the organisation's adoption."""
        for level, count in adoption.by_level.items():
            self.repos.labels(level=level).set(count)
        self.at_l3.set(adoption.at_l3)
        self.target.set(adoption.target_l3)
