"""The Protocols the request path and the projector depend on: named and typed, faked in unit tests.

The store and clock ports every service shares (Clock, Views, WritableViews) come from service_kit.ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from schemas.audit import AccessDecided
from schemas.envelope import CloudEvent
from service_kit.ports import Clock, Views, WritableViews

from portal_api.authorization import Verdict


class Policy(Protocol):
    """The authorization policy and presentation guard (rego-cpp in process; OPA over HTTP in the benchmark's peer)."""

    @property
    def sha256(self) -> str:
        """The hash of the policy bundle that decides."""
        ...

    async def verdict(self, document: Mapping[str, Any]) -> Verdict:
        """The whole decision on one request: allowed, reading context, fields shown and withheld."""
        ...

    def allow(self, document: Mapping[str, Any]) -> bool:
        """Whether the action would be allowed (to show or hide a control)."""
        ...


class AuditTrail(Protocol):
    """Where access decisions go; `record` returns once the decision is on file (acknowledged)."""

    async def record(self, fact: AccessDecided) -> None:
        """Put the decision on file; return once it is acknowledged, raise when it cannot be."""
        ...


class EventPublisher(Protocol):
    """Publishes an event on a topic (the logical name; the adapter adds the prefix) and waits for the ack."""

    async def publish(self, event: CloudEvent, topic: str) -> None:
        """Publish `event` on `topic` and return once it is acknowledged."""
        ...


class Archives(Protocol):
    """Files another service stores (GridFS in production): evidence archives, board PDFs; None when not stored."""

    async def read(self, file_id: str) -> bytes | None:
        """The file's bytes, or None when it is not stored."""
        ...


__all__ = ["Archives", "AuditTrail", "Clock", "EventPublisher", "Policy", "Views", "WritableViews"]
