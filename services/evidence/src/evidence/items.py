"""Which events are evidence, of which kind, for which tenant and period.

Pure. Evidence is kept as the events themselves (their JSON as received): provenance verdicts, trust
policies and policy bundle hashes, onboarding facts, SLA probe results. Platform-wide events (the
policy bundle in force) belong in every tenant's pack of their period.
"""

from __future__ import annotations

from typing import Any

from schemas.envelope import Contract, UtcDatetime

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


def stored(body: dict[str, Any]) -> StoredItem | None:
    """The evidence an event is, or None (not evidence, e.g. a tenant request)."""
    event_type = str(body.get("type", ""))
    kind = kind_of(event_type)
    if kind is None or event_type == "io.trustportal.tenant.requested.v1":
        return None
    return StoredItem.model_validate(
        {
            "tenant": body["tenantid"],
            "period": str(body["time"])[:7],
            "kind": kind,
            "event_id": body["id"],
            "event_type": event_type,
            "time": body["time"],
            "body": body,
        }
    )
