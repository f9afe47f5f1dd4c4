"""Prometheus metrics of the evidence service: time-to-pack (histogram, and p50/p95 over recent packs)."""

from __future__ import annotations

from collections import deque

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from schemas.evidence import PackBuilt, PackFailed
from service_kit.quantiles import nearest_rank

RECENT = 1000


class EvidenceMetrics:
    """Packs built and failed; time-to-pack as a histogram and as p50/p95 gauges over the last 1,000 packs."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.built = Counter("trustportal_evidence_packs_built_total", "Evidence packs built", registry=registry)
        self.failed = Counter(
            "trustportal_evidence_packs_failed_total", "Evidence pack requests failed", registry=registry
        )
        self.histogram = Histogram(
            "trustportal_evidence_time_to_pack_seconds",
            "From the pack request to the pack signed and in the ledger",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600, 1800),
            registry=registry,
        )
        self.quantiles = Gauge(
            "trustportal_evidence_time_to_pack_quantile_seconds",
            "Time-to-pack quantiles over the last 1,000 packs (seed SLO: p50 <= 7 min)",
            ["quantile"],
            registry=registry,
        )
        self.build_seconds = Histogram(
            "trustportal_evidence_build_seconds", "Time spent building one pack in this process", registry=registry
        )
        self.recent: deque[float] = deque(maxlen=RECENT)

    def observe(self, outcome: PackBuilt | PackFailed, build_seconds: float) -> None:
        """Count one built pack."""
        if isinstance(outcome, PackBuilt):
            self.built.inc()
            self.histogram.observe(outcome.data.time_to_pack_s)
            self.build_seconds.observe(build_seconds)
            self.recent.append(outcome.data.time_to_pack_s)
            for q in (0.5, 0.95):
                self.quantiles.labels(quantile=str(q)).set(nearest_rank(self.recent, q) or 0.0)
