"""The Protocols every service's handlers take: a clock, read models by key, a dead-letter sender.

ProjectionStore (MongoDB) and InMemoryProjectionStore (service_kit.testing) both satisfy the store ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

__all__ = ["Clock", "DeadLetter", "FoldedViews", "Views", "WritableViews", "system_clock"]

V = TypeVar("V", bound=BaseModel)
E = TypeVar("E")


class Clock(Protocol):
    """The time now (a FakeClock in tests)."""

    def __call__(self) -> datetime:
        """The time now, timezone-aware UTC."""
        ...


def system_clock() -> datetime:
    """The Clock of a running service: the time now, UTC."""
    return datetime.now(UTC)


class Views(Protocol[V]):
    """A read model's documents by key."""

    async def get(self, key: str) -> V | None:
        """The view stored under `key`, if any."""
        ...

    async def find(
        self, query: dict[str, Any], *, limit: int = 0, sort: list[tuple[str, int]] | None = None
    ) -> list[V]:
        """The views matching `query`, in `sort` order, at most `limit` (0: all)."""
        ...


class WritableViews(Views[V], Protocol):
    """A read model this service writes, as the single writer of each key."""

    async def insert_once(self, key: str, view: V) -> bool:
        """Insert `view` under `key`; False when the key is taken (a redelivery, or a lost race)."""
        ...

    async def insert_many_once(self, items: list[tuple[str, V]]) -> int:
        """Insert each view under its key, skipping keys already present; how many were new."""
        ...

    async def put(self, key: str, view: V) -> None:
        """Overwrite the view under an existing `key`."""
        ...

    async def save(self, key: str, view: V) -> None:
        """Store `view` under `key`, replacing what is there."""
        ...


class FoldedViews(WritableViews[V], Protocol):
    """A read model folded a batch of events at a time."""

    async def fold(
        self, events: Iterable[E], key: Callable[[E], str], folded: Callable[[V | None, E], V | None]
    ) -> int:
        """Apply `events` to the views they name (one read, at most one write per view); how many changed."""
        ...


class DeadLetter(Protocol):
    """Sends one consumed record, with the error it met, to its topic's DLQ."""

    async def __call__(self, record: Any, error: BaseException, /) -> None:
        """Publish the record's original bytes and the error to `<topic>.dlq`."""
        ...
