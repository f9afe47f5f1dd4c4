"""Which events are evidence, of which kind, for which tenant and period.

Pure. Evidence is kept as the events themselves (their JSON as received,
onboarding facts reduced to what evidence needs): provenance verdicts, trust
policies and policy bundle hashes, onboarding facts, SLA probe results. Only events that belong to
a partner's tenant id are evidence, and of the platform's own events only the policy bundle in force,
which belongs in every tenant's pack of its period. Anything else (a rejected request, an event
keyed to a reserved or malformed tenant id) is nobody's evidence: strangers cannot write into a pack.
"""

from __future__ import annotations

import json
from typing import Any

from schemas.envelope import CloudEvent, Contract, UtcDatetime
from schemas.policy import PolicyBundlePublished
from schemas.tenant import PLATFORM_TENANT, TenantRejected, TenantRequested, is_tenant_slug

from evidence.pack import Item

PLATFORM_EVIDENCE = frozenset({PolicyBundlePublished.TYPE})
"""The platform's own events that count as every tenant's evidence."""
NOT_EVIDENCE = frozenset({TenantRequested.TYPE, TenantRejected.TYPE})
ONBOARDING_EVIDENCE = frozenset(
    {
        "slug", "display_name", "cohort", "request_id", "requested_at", "provisioned_at", "attempts",
        "status_code", "latency_ms", "verified_at", "failed_at", "onboarded_at", "time_to_first_verify_s",
    }
)  # fmt: skip
"""What an onboarding fact contributes to evidence: when and how the tenant was onboarded. Contact
details, the webhook URL (and failure reasons, which may name its host) and the plan are operational
or commercial data that the presentation guard withholds from auditors, so packs never carry them."""
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


def is_evidence(event: CloudEvent) -> bool:
    """Whether an event of an evidence kind belongs in a pack: a tenant's fact, or the platform's policy bundle."""
    if event.type in NOT_EVIDENCE:
        return False
    if event.tenantid == PLATFORM_TENANT:
        return event.type in PLATFORM_EVIDENCE
    return is_tenant_slug(event.tenantid)


def stored(raw: bytes) -> StoredItem | None:
    """The evidence an event's bytes are, or None (not evidence, e.g. a tenant request or rejection).

    Raises pydantic's ValidationError for anything that is not a CloudEvent, so a consumer sends
    that record alone to the dead-letter topic.
    """
    event = CloudEvent.model_validate_json(raw)
    kind = kind_of(event.type)
    if kind is None or not is_evidence(event):
        return None
    body: dict[str, Any] = json.loads(raw)
    if kind == "onboarding" and isinstance(body.get("data"), dict):
        body["data"] = {k: v for k, v in body["data"].items() if k in ONBOARDING_EVIDENCE}
    return StoredItem(
        tenant=event.tenantid,
        period=event.time.strftime("%Y-%m"),
        kind=kind,
        event_id=event.id,
        event_type=event.type,
        time=event.time,
        body=body,
    )
