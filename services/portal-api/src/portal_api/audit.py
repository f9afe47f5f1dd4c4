"""The Audit tab's read model: one entry per access decision, folded from audit.events.v1."""

from __future__ import annotations

from schemas.audit import AccessDecided, AccessDecidedData


class AuditEntry(AccessDecidedData):
    """An access decision as a trail lists it (collection `portal_audit`, key: event id).

    `tenant` is the trail the entry is filed in: the event's tenantid. That is the tenant asked for,
    except for refusals of subjects with no role there, which the portal files in the platform's
    security trail so that strangers cannot write into a tenant's; `asked_tenant` keeps what was asked.
    """

    event_id: str
    asked_tenant: str = ""

    @classmethod
    def of(cls, event: AccessDecided) -> AuditEntry:
        """The entry for one AccessDecided event."""
        data = event.data.model_dump()
        return cls(**{**data, "tenant": event.tenantid}, event_id=event.id, asked_tenant=event.data.tenant)
