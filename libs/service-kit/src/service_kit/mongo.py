"""MongoDB access with PyMongo's native async API, and idempotent projections by event id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from service_kit.settings import ServiceSettings

__all__ = ["ConcurrentUpdateError", "Doc", "ProjectionStore", "build_mongo", "insert_in_order"]

Doc = dict[str, Any]
V = TypeVar("V", bound=BaseModel)
E = TypeVar("E")


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


async def insert_in_order(collection: AsyncCollection[Doc], docs: list[Doc]) -> int:
    """Insert `docs` in order until one's key is taken; how many went in (compare-and-set on keys).

    A log appends this way at the keys after its end: a lost race stops at the taken key, and the
    writer reads what was appended meanwhile before trying again. Other errors are raised.
    """
    try:
        await collection.insert_many(docs, ordered=True)
    except BulkWriteError as exc:
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise
        return int(exc.details.get("nInserted", 0))
    return len(docs)


class ProjectionStore(Generic[V]):
    """Documents holding one read model each, keyed by _id (the only filter FerretDB v1 serves from an index).

    Both FerretDB v1 and MongoDB support everything used here (no transactions).
    """

    def __init__(self, collection: AsyncCollection[Doc], model: type[V]) -> None:
        self.collection = collection
        self.model = model

    async def get(self, key: str) -> V | None:
        """Return the view stored under `key`, if any."""
        doc = await self.collection.find_one({"_id": key})
        return self.model.model_validate(doc) if doc else None

    async def find(self, query: Doc, *, limit: int = 0, sort: list[tuple[str, int]] | None = None) -> list[V]:
        """Return the views matching `query`, in `sort` order, at most `limit` (0: all)."""
        cursor = self.collection.find(query, limit=limit, sort=sort)
        return [self.model.model_validate(doc) async for doc in cursor]

    async def insert_once(self, key: str, view: V) -> bool:
        """Insert `view` under `key`; False when it is already there (dedup, or a lost creation race)."""
        try:
            await self.collection.insert_one({**view.model_dump(), "_id": key})
        except DuplicateKeyError:
            return False
        return True

    async def insert_many_once(self, items: list[tuple[str, V]]) -> int:
        """Insert each view under its key in one round trip, skipping keys already present; returns the new count."""
        if not items:
            return 0
        try:
            result = await self.collection.insert_many(
                [{**view.model_dump(), "_id": key} for key, view in items], ordered=False
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            return int(exc.details.get("nInserted", len(items) - len(errors)))
        return len(result.inserted_ids)

    async def put(self, key: str, view: V) -> None:
        """Overwrite the view under `key` unconditionally, for a writer that holds exclusive rights.

        Addresses the document by _id alone, which every Mongo-wire server serves from its _id
        index (FerretDB v1 pushes down nothing else, so a compare-and-set filter would scan).
        """
        # The revision still moves, so a concurrent compare-and-set (a lease claim) sees the change.
        await self.collection.update_one({"_id": key}, {"$set": view.model_dump(), "$inc": {"_rev": 1}})

    async def fold(
        self, events: Iterable[E], key: Callable[[E], str], folded: Callable[[V | None, E], V | None]
    ) -> int:
        """Apply a batch of events to the views they name: one read and at most one write per view.

        `folded(view, event)` returns the view after the event, or None when the event changes
        nothing (older, or already applied). For a single writer per key, e.g. the consumer holding
        the partition the events are keyed to. Returns how many views changed.
        """
        stored: dict[str, V | None] = {}
        latest: dict[str, V] = {}
        for event in events:
            k = key(event)
            if k not in stored:
                stored[k] = await self.get(k)
            view = folded(latest.get(k) or stored[k], event)
            if view is not None:
                latest[k] = view
        for k, view in sorted(latest.items()):
            await self.save(k, view)
        return len(latest)

    async def save(self, key: str, view: V) -> None:
        """Store `view` under `key`, replacing what is there (upsert by _id); for a writer with exclusive rights."""
        await self.collection.replace_one({"_id": key}, {**view.model_dump(), "_id": key}, upsert=True)
