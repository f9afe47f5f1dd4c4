"""Pure folds of the portal's read models: (view | None, event) -> the view to store, or None for no change."""

from __future__ import annotations

from schemas.audit import AccessDecided
from schemas.billing import InvoiceIssued, PaymentReceived, UsageRecorded
from schemas.board import BoardPackBuilt, BoardPackFailed
from schemas.evidence import PackBuilt
from schemas.policy import TrustPolicyUpdated
from schemas.provenance import ProvenanceRejected, ProvenanceVerified
from service_kit.folds import newest_wins

from portal_api.audit import AuditEntry
from portal_api.views import (
    BoardPackView,
    EvidencePackView,
    InvoiceEntry,
    PaymentEntry,
    TrustPolicyView,
    UsageEntry,
    VerdictView,
)


def audit_entries(events: list[AccessDecided]) -> list[tuple[str, AuditEntry]]:
    """One Audit-tab entry per decision, keyed by event id (inserted once: a redelivery is a duplicate key)."""
    return [(event.id, AuditEntry.of(event)) for event in events]


def usage_entry(event: UsageRecorded) -> tuple[str, UsageEntry]:
    """A usage batch, keyed by event id, so a redelivered batch is counted once."""
    return event.id, UsageEntry.of(event)


def invoice_entry(event: InvoiceIssued) -> tuple[str, InvoiceEntry]:
    """An invoice, keyed by invoice id: one per tenant and period, however often it is issued."""
    return event.data.invoice_id, InvoiceEntry.of(event)


def payment_entry(event: PaymentReceived) -> tuple[str, PaymentEntry]:
    """A payment, keyed by the processor's payment id: a duplicate import is counted once (the first)."""
    return event.data.payment_id, PaymentEntry.of(event)


def board_pack(event: BoardPackBuilt | BoardPackFailed) -> tuple[str, BoardPackView]:
    """A board pack's outcome, keyed by its request (each request is built or refused once)."""
    view = BoardPackView.of(event)
    return view.request_id, view


def evidence_pack(event: PackBuilt) -> tuple[str, EvidencePackView]:
    """A built pack, keyed by pack id, with its signature, proof and tree head."""
    return event.data.pack_id, EvidencePackView.of(event)


def verdict(event: ProvenanceVerified | ProvenanceRejected) -> tuple[str, VerdictView]:
    """A submission's verdict, keyed by submission id (slsa-watch gives each submission one verdict)."""
    return event.data.submission_id, VerdictView.of(event)


def trust_policy(current: TrustPolicyView | None, event: TrustPolicyUpdated) -> TrustPolicyView | None:
    """The tenant's trust policy in force: the newest update wins (a redelivery or older update changes nothing)."""
    return newest_wins(current, TrustPolicyView.of(event), lambda view: view.updated_at)
