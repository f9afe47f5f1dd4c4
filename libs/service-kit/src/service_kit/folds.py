"""Folds every read model uses: "newest wins" by a timestamp, with a redelivery changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

__all__ = ["newest_wins"]

V = TypeVar("V")


def newest_wins(current: V | None, candidate: V, at: Callable[[V], datetime]) -> V | None:
    """`candidate` when it is newer than `current` by `at`, else None (the view stays as it is).

    Ties keep the current view, so a redelivered event, or an older one arriving late, changes nothing.
    """
    if current is not None and at(candidate) <= at(current):
        return None
    return candidate
