"""Per-tenant and per-subject rate limits: fixed one-minute windows counted in MongoDB, shared by replicas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

WINDOW = timedelta(minutes=1)


class RateLimitedError(Exception):
    """Too many requests in this window: answer 429 with Retry-After."""

    def __init__(self, scope: str, retry_after_s: int) -> None:
        super().__init__(f"rate limit reached for {scope}")
        self.scope = scope
        self.retry_after_s = retry_after_s


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
    """Counts requests per scope and window; each counter is one document addressed by _id."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], *, tenant_per_minute: int, subject_per_minute: int):
        self.collection = collection
        self.limits = {"tenant": tenant_per_minute, "subject": subject_per_minute}

    async def hit(self, kind: str, name: str, now: datetime) -> None:
        """Count one request for `kind:name`; raise RateLimitedError past the limit."""
        window = Window.at(now)
        key = f"{kind}:{name}:{window.start.strftime('%Y%m%dT%H%M')}"
        doc = await self.collection.find_one_and_update(
            {"_id": key},
            {"$inc": {"n": 1}, "$setOnInsert": {"window": window.start}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None and int(doc["n"]) > self.limits[kind]:
            raise RateLimitedError(f"{kind} {name}", window.retry_after_s)
