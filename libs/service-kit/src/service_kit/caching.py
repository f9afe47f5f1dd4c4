"""A bounded cache whose entries expire after a time to live, on a clock the caller gives (tests pass a fake)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["TtlCache"]

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Remembers what `load(key)` answered for `ttl_s` seconds (0: never remembers), at most `max_entries` keys.

    Absence is an answer too: a None is kept like any value, unless `keep_absent` is False (for a
    view another replica may create at any moment, where "not there" must be asked again). When the
    cache is full it starts over rather than tracking recency: the bound is what matters, and a
    refill costs one load per key.
    """

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        ttl_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
        keep_absent: bool = True,
    ) -> None:
        self.load = load
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_entries = max_entries
        self.keep_absent = keep_absent
        self.entries: dict[K, tuple[float, V]] = {}

    async def get(self, key: K) -> V:
        """The value for `key`: remembered if still fresh, else loaded (and remembered)."""
        hit = self.entries.get(key)
        if hit is not None and self.clock() < hit[0]:
            return hit[1]
        value = await self.load(key)
        if self.ttl_s > 0 and (value is not None or self.keep_absent):
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
            self.entries[key] = (self.clock() + self.ttl_s, value)
        return value

    def forget(self, key: K) -> None:
        """Drop `key`, so the next get loads it (after a write this process made)."""
        self.entries.pop(key, None)
