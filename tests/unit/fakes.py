"""Fakes for unit tests of handlers: an in-memory projection store (the calls ProjectionStore offers)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

V = TypeVar("V")


class InMemoryProjectionStore(Generic[V]):
    """A ProjectionStore kept in a dict: get, find (every view; queries are not interpreted), insert_once, put."""

    def __init__(self) -> None:
        self.docs: dict[str, V] = {}
        self.reads: list[str] = []

    async def get(self, key: str) -> V | None:
        self.reads.append(key)
        return self.docs.get(key)

    async def find(self, _query: dict[str, Any], **_: Any) -> list[V]:
        return list(self.docs.values())

    async def insert_once(self, key: str, view: V) -> bool:
        if key in self.docs:
            return False
        self.docs[key] = view
        return True

    async def put(self, key: str, view: V) -> None:
        self.docs[key] = view

    save = put
