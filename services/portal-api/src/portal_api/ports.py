"""The Protocols the request path and the projector depend on: named and typed, faked in unit tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from schemas.audit import AccessDecided
from schemas.envelope import CloudEvent

from portal_api.policy import Verdict

V = TypeVar("V", bound=BaseModel)


class Clock(Protocol):
    """The time now, timezone-aware UTC (a fixed clock in tests)."""

    def __call__(self) -> datetime: ...


class Views(Protocol[V]):
    """A read model's documents by key (ProjectionStore over MongoDB; InMemoryProjectionStore in tests)."""

    async def get(self, key: str) -> V | None: ...

    async def find(
        self, query: dict[str, Any], *, limit: int = 0, sort: list[tuple[str, int]] | None = None
    ) -> list[V]: ...


class WritableViews(Views[V], Protocol):
    """A read model this service writes: inserted once per key, or replaced by its single writer."""

    async def insert_once(self, key: str, view: V) -> bool: ...

    async def insert_many_once(self, items: list[tuple[str, V]]) -> int: ...

    async def put(self, key: str, view: V) -> None: ...

    async def save(self, key: str, view: V) -> None: ...


class Policy(Protocol):
    """The authorization policy and presentation guard (rego-cpp in process; OPA over HTTP in the benchmark's peer)."""

    @property
    def sha256(self) -> str: ...

    async def verdict(self, document: Mapping[str, Any]) -> Verdict: ...

    def allow(self, document: Mapping[str, Any]) -> bool: ...


class AuditTrail(Protocol):
    """Where access decisions go; `record` returns once the decision is on file (acknowledged)."""

    async def record(self, fact: AccessDecided) -> None: ...


class EventPublisher(Protocol):
    """Publishes an event on a topic (the logical name; the adapter adds the prefix) and waits for the ack."""

    async def publish(self, event: CloudEvent, topic: str) -> None: ...


class Archives(Protocol):
    """The evidence packs' archives (GridFS in production): the bytes of one, or None when not stored."""

    async def read(self, pack_id: str) -> bytes | None: ...
