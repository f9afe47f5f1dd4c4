"""An in-memory ProjectionStore: the calls the Mongo adapter offers, kept in a dict."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["InMemoryProjectionStore"]

V = TypeVar("V")


class InMemoryProjectionStore(Generic[V]):
    """get, find (every view: queries are not interpreted), insert_once, insert_many_once, put and save.

    `reads` lists the keys asked for, so a test can show a handler reads each view once.
    """

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

    async def insert_many_once(self, items: list[tuple[str, V]]) -> int:
        return sum([await self.insert_once(key, view) for key, view in items])

    async def put(self, key: str, view: V) -> None:
        self.docs[key] = view

    async def save(self, key: str, view: V) -> None:
        self.docs[key] = view
