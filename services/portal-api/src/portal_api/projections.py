"""Pure folds of the portal's read models: (view | None, event) -> the view to store, or None for no change."""

from __future__ import annotations

from schemas.audit import AccessDecided
from schemas.billing import InvoiceIssued, UsageRecorded
from schemas.evidence import PackBuilt
from schemas.policy import TrustPolicyUpdated
from service_kit.folds import newest_wins

from portal_api.audit import AuditEntry
from portal_api.views import EvidencePackView, InvoiceEntry, TrustPolicyView, UsageEntry


def audit_entries(events: list[AccessDecided]) -> list[tuple[str, AuditEntry]]:
    """One Audit-tab entry per decision, keyed by event id (inserted once: a redelivery is a duplicate key)."""
    return [(event.id, AuditEntry.of(event)) for event in events]


def usage_entry(event: UsageRecorded) -> tuple[str, UsageEntry]:
    """A usage batch, keyed by event id, so a redelivered batch is counted once."""
    return event.id, UsageEntry.of(event)


def invoice_entry(event: InvoiceIssued) -> tuple[str, InvoiceEntry]:
    """An invoice, keyed by invoice id: one per tenant and period, however often it is issued."""
    return event.data.invoice_id, InvoiceEntry.of(event)


def evidence_pack(event: PackBuilt) -> tuple[str, EvidencePackView]:
    """A built pack, keyed by pack id, with its signature, proof and tree head."""
    return event.data.pack_id, EvidencePackView.of(event)


def trust_policy(current: TrustPolicyView | None, event: TrustPolicyUpdated) -> TrustPolicyView | None:
    """The tenant's trust policy in force: the newest update wins (a redelivery or older update changes nothing)."""
    return newest_wins(current, TrustPolicyView.of(event), lambda view: view.updated_at)
