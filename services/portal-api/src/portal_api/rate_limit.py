"""Per-tenant and per-subject rate limits: fixed one-minute windows counted in MongoDB, shared by replicas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from portal_api.errors import RateLimitedError

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Window:
    """The window `now` falls in, and how long until it ends."""

    start: datetime
    retry_after_s: int

    @classmethod
    def at(cls, now: datetime) -> Window:
        """The one-minute window containing `now`."""
        start = now.replace(second=0, microsecond=0)
        return cls(start=start, retry_after_s=max(1, int((start + WINDOW - now).total_seconds() + 0.999)))


class RateLimiter:
    """Counts requests per scope and window: exactly in this process, and shared through MongoDB.

    A request is checked against the shared count as of the last sync plus this process's count
    since then, so no database write sits on the request path. Every `sync_s` seconds the local
    counts are added to one document per scope and window (`$inc`, by _id) and the shared totals
    read back. With R replicas a limit can be overshot by at most what the other replicas admit
    within one sync interval.
    """

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        *,
        tenant_per_minute: int,
        subject_per_minute: int,
        refusals_per_minute: int = 30,
        clock: Callable[[], datetime] | None = None,
    ):
        self.collection = collection
        self.clock = clock
        self.limits = {"tenant": tenant_per_minute, "subject": subject_per_minute, "refusals": refusals_per_minute}
        self.shared: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.windows: dict[str, datetime] = {}

    def hit(self, kind: str, name: str, now: datetime) -> None:
        """Count one request for `kind:name`; raise RateLimitedError past the limit (the request is not counted)."""
        window = Window.at(now)
        key = f"{kind}:{name}:{window.start:%Y%m%dT%H%M}"
        used = self.shared.get(key, 0) + self.pending.get(key, 0)
        if used >= self.limits[kind]:
            raise RateLimitedError(f"{kind} {name}", window.retry_after_s)
        self.pending[key] = self.pending.get(key, 0) + 1
        self.windows[key] = window.start

    async def share(self) -> None:
        """Sync as of the limiter's clock (the periodic step of every replica)."""
        assert self.clock is not None, "share() needs the clock the limiter was built with"
        await self.sync(self.clock())

    async def sync(self, now: datetime) -> None:
        """Add the local counts to the shared ones and read the totals back; forget finished windows."""
        pending, self.pending = self.pending, {}
        try:
            for key, n in pending.items():
                doc = await self.collection.find_one_and_update(
                    {"_id": key},
                    {"$inc": {"n": n}, "$setOnInsert": {"window": self.windows[key]}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                self.shared[key] = int(doc["n"]) if doc else n
                pending[key] = 0
        finally:  # counts not yet written go back to pending (the database may be down)
            for key, n in pending.items():
                if n:
                    self.pending[key] = self.pending.get(key, 0) + n
        current = Window.at(now).start
        for key in [k for k, start in self.windows.items() if start < current - WINDOW]:
            self.windows.pop(key)
            self.shared.pop(key, None)
            self.pending.pop(key, None)
