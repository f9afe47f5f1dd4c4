"""Which events are evidence, of which kind, for which tenant and period.

Pure. Evidence is kept as the events themselves (their JSON as received): provenance verdicts, trust
policies and policy bundle hashes, onboarding facts, SLA probe results. Platform-wide events (the
policy bundle in force) belong in every tenant's pack of their period.
"""

from __future__ import annotations

import json
from typing import Any

from schemas.envelope import CloudEvent, Contract, UtcDatetime

from evidence.pack import Item

PLATFORM = "platform"
KINDS = {
    "io.trustportal.provenance.verified.": "provenance",
    "io.trustportal.provenance.rejected.": "provenance",
    "io.trustportal.policy.": "policy",
    "io.trustportal.tenant.": "onboarding",
    "io.trustportal.sla.": "sla",
}


class StoredItem(Contract):
    """One piece of evidence (collection `evidence_items`, key: event id)."""

    tenant: str
    period: str
    kind: str
    event_id: str
    event_type: str
    time: UtcDatetime
    body: dict[str, Any]

    def item(self) -> Item:
        """As it goes into a pack."""
        return Item(self.kind, self.event_id, self.event_type, self.body)


def kind_of(event_type: str) -> str | None:
    """The evidence kind of an event type, or None when it is not evidence."""
    return next((kind for prefix, kind in KINDS.items() if event_type.startswith(prefix)), None)


def stored(raw: bytes) -> StoredItem | None:
    """The evidence an event's bytes are, or None (not evidence, e.g. a tenant request).

    Raises pydantic's ValidationError for anything that is not a CloudEvent, so a consumer sends
    that record alone to the dead-letter topic.
    """
    event = CloudEvent.model_validate_json(raw)
    kind = kind_of(event.type)
    if kind is None or event.type == "io.trustportal.tenant.requested.v1":
        return None
    body: dict[str, Any] = json.loads(raw)
    return StoredItem(
        tenant=event.tenantid,
        period=event.time.strftime("%Y-%m"),
        kind=kind,
        event_id=event.id,
        event_type=event.type,
        time=event.time,
        body=body,
    )
