"""Evidence items in MongoDB, one log per tenant and period (`evidence_items`, key `<tenant>/<period>/<seq>`).

A pack reads exactly its tenant's period, by key: every Mongo-wire server serves `_id` lookups from
its index (FerretDB v1 serves nothing else), so building a pack costs the same however much other
evidence the platform holds. Appends are compare-and-set on the sequence through the unique `_id`,
as in the ledger, so concurrent collectors never overwrite each other. A redelivered event may be
logged twice; a pack lists each event once. Each event's JSON is kept as canonical bytes.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bson import Binary
from pymongo.asynchronous.collection import AsyncCollection
from service_kit.mongo import insert_in_order
from transparency.canonical import canonical

from evidence.items import StoredItem

READ_CONCURRENCY = 32


def key(tenant: str, period: str, seq: int) -> str:
    """The key of item `seq` of a tenant's period."""
    return f"{tenant}/{period}/{seq:08d}"


class ItemLog:
    """Append items by tenant and period; read a tenant's period back."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        self.next: dict[tuple[str, str], int] = {}

    async def exists(self, tenant: str, period: str, seq: int) -> bool:
        """Whether the log holds an item at `seq` for the tenant's period."""
        return await self.collection.find_one({"_id": key(tenant, period, seq)}, projection={"_id": 1}) is not None

    async def count(self, tenant: str, period: str) -> int:
        """How many items the log holds: an exponential then binary search over the keys."""
        if not await self.exists(tenant, period, 0):
            return 0
        high = 1
        while await self.exists(tenant, period, high):
            high *= 2
        low = high // 2  # low exists, high does not
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (mid, high) if await self.exists(tenant, period, mid) else (low, mid)
        return high

    async def append(self, items: Sequence[StoredItem]) -> None:
        """Log items at the end of their tenant's period."""
        groups: dict[tuple[str, str], list[StoredItem]] = defaultdict(list)
        for item in items:
            groups[(item.tenant, item.period)].append(item)
        for (tenant, period), pending in groups.items():
            while pending:
                start = self.next.get((tenant, period))
                if start is None:
                    start = await self.count(tenant, period)
                docs = [{"_id": key(tenant, period, start + i), **stored_doc(item)} for i, item in enumerate(pending)]
                taken = await insert_in_order(self.collection, docs)
                if taken < len(docs):
                    self.next.pop((tenant, period), None)  # someone else appended: find the end again
                else:
                    self.next[(tenant, period)] = start + taken
                pending = pending[taken:]

    async def read(self, tenant: str, period: str) -> list[StoredItem]:
        """Every item of a tenant's period, in log order."""
        total = await self.count(tenant, period)
        gate = asyncio.Semaphore(READ_CONCURRENCY)

        async def one(seq: int) -> dict[str, Any] | None:
            async with gate:
                return await self.collection.find_one({"_id": key(tenant, period, seq)})

        docs = await asyncio.gather(*(one(seq) for seq in range(total)))
        return [loaded(doc) for doc in docs if doc is not None]


def stored_doc(item: StoredItem) -> dict[str, Any]:
    """An item as stored: its fields, and the event as canonical bytes."""
    fields = item.model_dump(exclude={"body"})
    return {**fields, "body": Binary(canonical(item.body))}


def loaded(doc: dict[str, Any]) -> StoredItem:
    """An item read back."""
    return StoredItem.model_validate({**doc, "body": json.loads(bytes(doc["body"]))})
