"""The ledger in MongoDB: a document per leaf (`ledger_entries`, key: zero-padded index), signed heads (`ledger_heads`).

Appending is compare-and-set on the tree size through the unique `_id`: a writer inserts its entries
at the indices after the last one it knows; if another writer took an index first, the insert fails
there, the writer reads what was appended meanwhile and tries again at the new end. So every index
holds exactly one entry, whoever wrote it, and two writers can never build two different trees of the
same size (no fork). Each process keeps the tree in memory and catches up by point reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from service_kit.mongo import insert_in_order
from transparency.merkle import MerkleTree

from evidence.ledger import consistency, entry_leaf, inclusion, signed_head
from evidence.signing import PlatformKey

Doc = dict[str, Any]


def doc_id(n: int) -> str:
    """The key of entry n (or of the head of size n), zero-padded so that keys sort as numbers.

    A string: every Mongo-wire server finds it through its _id index (FerretDB v1 only string keys).
    """
    return f"{n:012d}"


class LedgerStore:
    """An append-only ledger shared by any number of processes."""

    def __init__(
        self,
        entries: AsyncCollection[Doc],
        heads: AsyncCollection[Doc],
        key: PlatformKey,
        clock: Callable[[], datetime],
    ) -> None:
        self.entries, self.heads, self.key, self.clock = entries, heads, key, clock
        self.tree = MerkleTree()
        self.stored: list[dict[str, Any]] = []
        self.lock = asyncio.Lock()

    async def catch_up(self) -> int:
        """Read the entries appended since this process last looked; returns the tree size."""
        while (doc := await self.entries.find_one({"_id": doc_id(self.tree.size)})) is not None:
            self.tree.append_hash(bytes.fromhex(doc["leaf"]))
            self.stored.append(doc["entry"])
        return self.tree.size

    async def append(self, entries: Sequence[dict[str, Any]]) -> tuple[list[int], dict[str, Any]]:
        """Append entries (in order, contiguously from wherever the end is); their indices and the new signed head."""
        async with self.lock:
            indices: list[int] = []
            pending = list(entries)
            while pending:
                start = await self.catch_up()
                docs: list[Doc] = [
                    {"_id": doc_id(start + i), "entry": e, "leaf": entry_leaf(e).hex(), "appended_at": self.clock()}
                    for i, e in enumerate(pending)
                ]
                taken = await insert_in_order(self.entries, docs)
                for doc in docs[:taken]:
                    self.tree.append_hash(bytes.fromhex(doc["leaf"]))
                    self.stored.append(doc["entry"])
                    indices.append(int(doc["_id"]))
                pending = pending[taken:]
            head = await self.sign_head()
        return indices, head

    async def sign_head(self) -> dict[str, Any]:
        """Sign and keep the head of the tree as this process knows it (the first head of a size is kept)."""
        size = self.tree.size
        head = signed_head(size, self.tree.root(), self.clock(), self.key)
        try:
            await self.heads.insert_one({**head, "_id": doc_id(size)})
        except DuplicateKeyError:
            kept = await self.heads.find_one({"_id": doc_id(size)})
            assert kept is not None
            kept.pop("_id")
            if kept["root_hash"] != head["root_hash"]:  # cannot happen: every index has one entry
                raise RuntimeError(f"ledger fork at size {size}: {kept['root_hash']} != {head['root_hash']}") from None
            return kept
        return head

    async def head(self) -> dict[str, Any] | None:
        """The newest signed head (after catching up), or None for an empty ledger."""
        async with self.lock:
            await self.catch_up()
            if self.tree.size == 0:
                return None
            return await self.sign_head()

    async def prove(self, index: int, size: int | None = None) -> dict[str, Any]:
        """An inclusion proof of entry `index` in the tree of `size` (default: the newest)."""
        async with self.lock:
            await self.catch_up()
            size = self.tree.size if size is None else size
            return inclusion(self.stored[index], index, size, self.tree.inclusion_proof(index, size))

    async def prove_consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        """A consistency proof between two tree sizes."""
        async with self.lock:
            await self.catch_up()
            new = self.tree.size if new is None else new
            return consistency(old, new, self.tree.consistency_proof(old, new))
