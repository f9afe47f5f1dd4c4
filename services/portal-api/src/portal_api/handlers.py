"""The projector's handlers: fold each event into the read model it feeds (load, fold, save)."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.audit import AccessDecided
from schemas.billing import BillingFact, InvoiceIssued, PaymentReceived, UsageRecorded
from schemas.board import BoardFact
from schemas.evidence import EvidenceFact, PackBuilt
from schemas.policy import PolicyFact, TrustPolicyUpdated
from schemas.provenance import ProvenanceVerdict

from portal_api import projections
from portal_api.audit import AuditEntry
from portal_api.ports import WritableViews
from portal_api.views import (
    BoardPackView,
    EvidencePackView,
    InvoiceEntry,
    PaymentEntry,
    TrustPolicyView,
    UsageEntry,
    VerdictView,
)


@dataclass(frozen=True)
class Deps:
    """The read models the projector writes, built once in app.py (tests pass in-memory stores)."""

    audit: WritableViews[AuditEntry]
    usage: WritableViews[UsageEntry]
    invoices: WritableViews[InvoiceEntry]
    payments: WritableViews[PaymentEntry]
    board_packs: WritableViews[BoardPackView]
    evidence_packs: WritableViews[EvidencePackView]
    trust_policies: WritableViews[TrustPolicyView]
    verdicts: WritableViews[VerdictView]


async def on_access_decided(events: list[AccessDecided], deps: Deps) -> int:
    """File a fetched batch of decisions in the Audit tab, in one round trip; how many were new."""
    return await deps.audit.insert_many_once(projections.audit_entries(events))


async def on_billing(event: BillingFact, deps: Deps) -> None:
    """Keep the Finance tab: usage batches by event id, invoices by invoice id, payments by payment id."""
    if isinstance(event, UsageRecorded):
        await deps.usage.insert_once(*projections.usage_entry(event))
    elif isinstance(event, InvoiceIssued):
        await deps.invoices.insert_once(*projections.invoice_entry(event))
    elif isinstance(event, PaymentReceived):
        await deps.payments.insert_once(*projections.payment_entry(event))


async def on_board(event: BoardFact, deps: Deps) -> None:
    """Keep the platform's Board view: each board pack built or refused, once."""
    await deps.board_packs.insert_once(*projections.board_pack(event))


async def on_evidence(event: EvidenceFact, deps: Deps) -> None:
    """Keep the Evidence tab: each built pack once."""
    if isinstance(event, PackBuilt):
        await deps.evidence_packs.insert_once(*projections.evidence_pack(event))


async def on_policy(event: PolicyFact, deps: Deps) -> None:
    """Keep each tenant's trust policy in force (the newest update wins)."""
    if isinstance(event, TrustPolicyUpdated):
        view = projections.trust_policy(await deps.trust_policies.get(event.tenantid), event)
        if view is not None:
            await deps.trust_policies.save(event.tenantid, view)


async def on_verdict(event: ProvenanceVerdict, deps: Deps) -> None:
    """Keep each submission's verdict, once (what `GET .../provenance/{id}` answers)."""
    await deps.verdicts.insert_once(*projections.verdict(event))
