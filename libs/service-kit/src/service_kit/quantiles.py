"""The nearest-rank quantile: the value at rank ceil(q * n) of the sorted values (always one of them)."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["nearest_rank"]


def nearest_rank(values: Iterable[float], q: float) -> float | None:
    """The `q` quantile (0 < q <= 1) of `values` by nearest rank, or None when there are none.

    p50 of [1, 2, 3, 4] is 2, p95 of 1..100 is 95, p100 is the maximum: no interpolation, so the
    figure is a value that was observed (what SLO reports and the seed's targets mean by p50/p95).
    """
    ordered = sorted(values)
    if not ordered:
        return None
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered))))
    return ordered[rank - 1]
