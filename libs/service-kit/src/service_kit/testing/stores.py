"""An in-memory ProjectionStore: the calls the Mongo adapter offers, kept in a dict."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["InMemoryProjectionStore"]

V = TypeVar("V")
E = TypeVar("E")


class InMemoryProjectionStore(Generic[V]):
    """get, find (equality on fields, sort, limit), insert_once, insert_many_once, put, save and fold.

    `reads` lists the keys asked for, so a test can show a handler reads each view once.
    """

    def __init__(self) -> None:
        self.docs: dict[str, V] = {}
        self.reads: list[str] = []

    async def get(self, key: str) -> V | None:
        """The view under `key`, noting the read."""
        self.reads.append(key)
        return self.docs.get(key)

    async def find(
        self, query: dict[str, Any], *, limit: int = 0, sort: list[tuple[str, int]] | None = None
    ) -> list[V]:
        """The views whose fields equal the query's values (operators such as `$lt` are not interpreted), sorted."""
        plain = {k: v for k, v in query.items() if not isinstance(v, dict)}
        found = [v for v in self.docs.values() if all(getattr(v, k, None) == want for k, want in plain.items())]
        for field, direction in reversed(sort or []):
            found.sort(key=lambda v: getattr(v, field), reverse=direction < 0)
        return found[:limit] if limit else found

    async def insert_once(self, key: str, view: V) -> bool:
        """Insert unless the key is taken."""
        if key in self.docs:
            return False
        self.docs[key] = view
        return True

    async def insert_many_once(self, items: list[tuple[str, V]]) -> int:
        """Insert each unless its key is taken; how many were new."""
        return sum([await self.insert_once(key, view) for key, view in items])

    async def put(self, key: str, view: V) -> None:
        """Overwrite the view under `key`."""
        self.docs[key] = view

    async def save(self, key: str, view: V) -> None:
        """Store the view under `key`."""
        self.docs[key] = view

    async def fold(
        self, events: Iterable[E], key: Callable[[E], str], folded: Callable[[V | None, E], V | None]
    ) -> int:
        """Apply each event to the view it names, as ProjectionStore.fold does; how many views changed."""
        changed: set[str] = set()
        for event in events:
            k = key(event)
            view = folded(self.docs.get(k), event)
            if view is not None:
                self.docs[k] = view
                changed.add(k)
        return len(changed)
