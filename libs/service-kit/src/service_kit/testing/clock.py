"""A clock that moves only when the test moves it: wall time for the domain, seconds for TTLs and timeouts."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["FakeClock"]


class FakeClock:
    """Call it for the time now (timezone-aware); `monotonic` for seconds since it was made; `advance` moves both."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.elapsed_s = 0.0

    def __call__(self) -> datetime:
        """The time now on this clock."""
        return self.now

    def monotonic(self) -> float:
        """Seconds elapsed on this clock (for caches and deadlines)."""
        return self.elapsed_s

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)
        self.elapsed_s += seconds
