"""The Protocols slsa-watch's handlers depend on: named and typed, faked in unit tests.

The store, clock and dead-letter ports every service shares come from service_kit.ports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel
from schemas.envelope import CloudEvent
from schemas.policy import TrustPolicyUpdated
from schemas.provenance import ProvenanceVerdict
from service_kit.ports import Clock, DeadLetter, FoldedViews, Views, WritableViews

from slsa_watch.verdict import TrustPolicy

V = TypeVar("V", bound=BaseModel)
E = TypeVar("E")


class TrustPolicies(Protocol):
    """Each tenant's trust policy in force (PolicyBook over MongoDB)."""

    async def policy(self, tenant: str) -> TrustPolicy | None:
        """The tenant's policy in force, or None when it registered none."""
        ...

    async def record(self, event: TrustPolicyUpdated) -> bool:
        """Keep `event` if it is the tenant's newest policy; whether it was kept."""
        ...


class VerdictPublisher(Protocol):
    """Publishes a batch of verdicts and returns once every one is acknowledged."""

    async def publish(self, verdicts: Sequence[ProvenanceVerdict]) -> None:
        """Publish the verdicts and return once every one is acknowledged."""
        ...


class SignalPublisher(Protocol):
    """Publishes the runner pools' saturation signals and returns once they are acknowledged."""

    async def publish(self, events: Sequence[CloudEvent]) -> None:
        """Publish the signals and return once they are acknowledged."""
        ...


__all__ = [
    "Clock",
    "DeadLetter",
    "FoldedViews",
    "SignalPublisher",
    "TrustPolicies",
    "VerdictPublisher",
    "Views",
    "WritableViews",
]
