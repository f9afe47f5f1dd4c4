"""MongoDB access with PyMongo's native async API, and idempotent projections by event id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from service_kit.settings import ServiceSettings

Doc = dict[str, Any]
V = TypeVar("V", bound=BaseModel)

# How many applied event ids a projection document remembers. Redeliveries arrive soon after the
# original (at-least-once from one partition), so a window this size covers them.
APPLIED_WINDOW = 256


class ConcurrentUpdateError(RuntimeError):
    """A projection document kept changing under us; the caller retries the message."""


def build_mongo(settings: ServiceSettings, *, timeout_ms: int = 5000) -> AsyncMongoClient[Doc]:
    """Build the service's client: timezone-aware datetimes, bounded server selection."""
    return AsyncMongoClient(
        settings.mongo_uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname=settings.service_name,
    )


class ProjectionStore(Generic[V]):
    """Documents holding one read model each, updated by folding events, exactly once per event id.

    Each document carries a revision (compare-and-set on replace) and the ids of the last events
    applied, so a redelivered event changes nothing and two writers never lose an update. Both
    FerretDB v1 and MongoDB support everything used here (no transactions).
    """

    def __init__(self, collection: AsyncCollection[Doc], model: type[V]) -> None:
        self.collection = collection
        self.model = model

    async def get(self, key: str) -> V | None:
        """Return the view stored under `key`, if any."""
        doc = await self.collection.find_one({"_id": key})
        return self.model.model_validate(doc) if doc else None

    async def find(self, query: Doc, *, limit: int = 0) -> list[V]:
        """Return the views matching `query`."""
        cursor = self.collection.find(query, limit=limit)
        return [self.model.model_validate(doc) async for doc in cursor]

    async def insert_once(self, key: str, view: V) -> bool:
        """Insert `view` under `key`; False when it is already there (an insert-only projection's dedup)."""
        try:
            await self.collection.insert_one({**view.model_dump(), "_id": key})
        except DuplicateKeyError:
            return False
        return True

    async def get_versioned(self, key: str) -> tuple[V | None, int]:
        """Return the view under `key` and its revision (0 when absent), for `save`."""
        doc = await self.collection.find_one({"_id": key})
        return (self.model.model_validate(doc), int(doc.get("_rev", 0))) if doc else (None, 0)

    async def save(self, key: str, view: V, *, rev: int) -> bool:
        """Store `view` if the document is still at revision `rev`; False when someone else won."""
        body = {**view.model_dump(), "_id": key, "_rev": rev + 1}
        if rev == 0:
            try:
                await self.collection.insert_one(body)
            except DuplicateKeyError:
                return False
            return True
        result = await self.collection.update_one({"_id": key, "_rev": rev}, {"$set": body})
        return result.matched_count == 1

    async def apply(self, key: str, event_id: str, fold: Callable[[V | None], V | None]) -> V | None:
        """Fold event `event_id` into the view under `key` unless already applied.

        Returns the new view, or None when the event had been applied before (or the fold made
        no change).
        """
        for _ in range(20):
            doc = await self.collection.find_one({"_id": key})
            applied: list[str] = list(doc.get("_applied", [])) if doc else []
            if event_id in applied:
                return None
            current = self.model.model_validate(doc) if doc else None
            new = fold(current)
            if new is None or new == current:
                return None
            rev = int(doc.get("_rev", 0)) if doc else 0
            body = {
                **new.model_dump(),
                "_id": key,
                "_rev": rev + 1,
                "_applied": [*applied, event_id][-APPLIED_WINDOW:],
            }
            if doc is None:
                try:
                    await self.collection.insert_one(body)
                except DuplicateKeyError:
                    continue
                return new
            result = await self.collection.replace_one({"_id": key, "_rev": rev}, body)
            if result.matched_count == 1:
                return new
        raise ConcurrentUpdateError(f"{self.collection.name}/{key}: too many concurrent updates")
