"""What the evidence service does with each consumed batch or request; routes.py calls these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.evidence import AnchorRequested, EvidenceRequest
from service_kit.decoding import decode_each

from evidence.items import stored
from evidence.ports import Anchors, DeadLetter, EventPublisher, EvidenceLog, PackBuilder


@dataclass(frozen=True)
class Deps:
    """What the handlers need, built once in app.py."""

    items: EvidenceLog
    builder: PackBuilder
    anchors: Anchors
    outcomes: EventPublisher
    dead_letter: DeadLetter


async def on_evidence(bodies: Sequence[bytes], records: Sequence[Any], deps: Deps) -> int:
    """Keep every event of a fetched batch that is evidence (a record that does not decode goes to the DLQ alone)."""
    decoded = await decode_each(bodies, records, stored, deps.dead_letter)
    kept = [item for item, _ in decoded if item is not None]
    await deps.items.append(kept)
    return len(kept)


async def on_request(event: EvidenceRequest, deps: Deps) -> None:
    """Build the requested pack and announce PackBuilt or PackFailed; or record a digest and announce Anchored."""
    if isinstance(event, AnchorRequested):
        await deps.outcomes.publish(await deps.anchors.anchor(event))
    else:
        await deps.outcomes.publish(await deps.builder.build(event))
