"""The Audit tab's read model: one entry per access decision, folded from audit.events.v1."""

from __future__ import annotations

from schemas.audit import AccessDecided, AccessDecidedData


class AuditEntry(AccessDecidedData):
    """An access decision as the Audit tab lists it (collection `portal_audit`, key: event id)."""

    event_id: str

    @classmethod
    def of(cls, event: AccessDecided) -> AuditEntry:
        """The entry for one AccessDecided event."""
        return cls(event_id=event.id, **event.data.model_dump())
