"""The board's Prometheus metrics: the prober's (what the portal SLOs are computed from) and the packs built."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Latency buckets around the portal latency SLO (300 ms) and up to the probe timeout.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)


class ProbeMetrics:
    """One counter of probe outcomes and one latency histogram, per target."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.results = Counter(
            "trustportal_probe_results_total",
            "Probes of the portal by target and outcome (ok: the answer a user expects)",
            ["target", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "trustportal_probe_latency_seconds",
            "From sending a probe to its whole answer (or its failure), by target",
            ["target"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, target: str, ok: bool, latency_ms: float) -> None:
        """Count one probe."""
        self.results.labels(target=target, outcome="ok" if ok else "failed").inc()
        self.latency.labels(target=target).observe(latency_ms / 1000)


class PackMetrics:
    """Board packs by outcome: complete, incomplete (built with --allow-incomplete) or failed (refused)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.packs = Counter(
            "trustportal_board_packs_total",
            "Board packs by outcome (complete, incomplete, failed): the board-pack-incomplete alert's input",
            ["outcome"],
            registry=registry,
        )

    def built(self, *, complete: bool) -> None:
        """Count a pack built and anchored."""
        self.packs.labels(outcome="complete" if complete else "incomplete").inc()

    def failed(self) -> None:
        """Count a pack refused by its completeness check."""
        self.packs.labels(outcome="failed").inc()
