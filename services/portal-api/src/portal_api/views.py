"""The portal's own read models (collections `portal_*`), folded from the events it shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from pydantic import Field
from schemas.billing import (
    METERS,
    InvoiceIssued,
    InvoiceIssuedData,
    Meter,
    PaymentReceived,
    PaymentReceivedData,
    UsageRecorded,
)
from schemas.board import BoardPackBuilt, BoardPackFailed, Check
from schemas.envelope import Contract, UtcDatetime
from schemas.evidence import PackBuilt
from schemas.policy import TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.provenance import ProvenanceRejected, ProvenanceVerified


class UsageEntry(Contract):
    """One batch of usage (collection `portal_usage`, key: event id, so a redelivery counts once)."""

    tenant: str
    meter: Meter
    period: str
    quantity: int
    window_end: UtcDatetime

    @classmethod
    def of(cls, event: UsageRecorded) -> UsageEntry:
        """The entry for one UsageRecorded event."""
        d = event.data
        return cls(tenant=event.tenantid, meter=d.meter, period=d.period, quantity=d.quantity, window_end=d.window_end)


class PeriodUsage(Contract):
    """A tenant's units per meter in one period."""

    period: str
    units: dict[Meter, int]


def usage_by_period(entries: Iterable[UsageEntry]) -> list[PeriodUsage]:
    """Sum batches per period and meter, newest period first (every meter listed, zero included)."""
    totals: dict[str, dict[Meter, int]] = defaultdict(lambda: dict.fromkeys(METERS, 0))
    for entry in entries:
        totals[entry.period][entry.meter] += entry.quantity
    return [PeriodUsage(period=p, units=totals[p]) for p in sorted(totals, reverse=True)]


class InvoiceEntry(InvoiceIssuedData):
    """An issued invoice (collection `portal_invoices`, key: invoice id: one per tenant and period)."""

    tenant: str

    @classmethod
    def of(cls, event: InvoiceIssued) -> InvoiceEntry:
        """The entry for one InvoiceIssued event."""
        return cls(tenant=event.tenantid, **event.data.model_dump())


class PaymentEntry(PaymentReceivedData):
    """A payment received (collection `portal_payments`, key: payment id, so a re-import counts once)."""

    tenant: str

    @classmethod
    def of(cls, event: PaymentReceived) -> PaymentEntry:
        """The entry for one PaymentReceived event (its tenant is its invoice's, as the board keyed it)."""
        return cls(tenant=event.tenantid, **event.data.model_dump())


class TrustPolicyView(TrustPolicyUpdatedData):
    """A tenant's trust policy in force (collection `portal_trust_policies`, key: tenant)."""

    tenant: str
    event_id: str

    @classmethod
    def of(cls, event: TrustPolicyUpdated) -> TrustPolicyView:
        """The view of one TrustPolicyUpdated event."""
        return cls(tenant=event.tenantid, event_id=event.id, **event.data.model_dump())


class EvidencePackView(Contract):
    """A built evidence pack (collection `portal_evidence_packs`, key: pack id), folded from PackBuilt."""

    tenant: str
    pack_id: str
    sha256: str
    item_count: int
    ledger_index: int
    built_at: UtcDatetime
    period: str = ""
    size: int = 0
    tree_size: int = 0
    time_to_pack_s: float | None = None
    signature: dict[str, Any] = Field(default_factory=dict)
    inclusion_proof: dict[str, Any] = Field(default_factory=dict)
    tree_head: dict[str, Any] = Field(default_factory=dict)

    DOCUMENTS: ClassVar[dict[str, str]] = {
        "signature": "signature",
        "proof": "inclusion_proof",
        "tree-head": "tree_head",
    }

    @classmethod
    def of(cls, event: PackBuilt) -> EvidencePackView:
        """The view of one PackBuilt event."""
        return cls(tenant=event.tenantid, **event.data.model_dump(include=set(cls.model_fields)))


class BoardPackView(Contract):
    """A board pack, built or refused (collection `portal_board_packs`, key: the request id, else the PDF's sha256)."""

    request_id: str
    period: str
    state: Literal["built", "failed"]
    at: UtcDatetime
    checks: tuple[Check, ...] = ()
    file_name: str = ""
    sha256: str = ""
    size: int = 0
    complete: bool = False
    ledger_index: int | None = None
    reason: str = ""
    inclusion_proof: dict[str, Any] = Field(default_factory=dict)
    tree_head: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, event: BoardPackBuilt | BoardPackFailed) -> BoardPackView:
        """The view of one BoardPackBuilt or BoardPackFailed event."""
        if isinstance(event, BoardPackFailed):
            d = event.data
            return cls(request_id=d.request_id or event.id, period=d.period, state="failed", at=d.failed_at,
                       checks=d.checks, reason=d.reason)  # fmt: skip
        b = event.data
        return cls(
            request_id=b.request_id or b.sha256, period=b.period, state="built", at=b.built_at, checks=b.checks,
            file_name=b.file_name, sha256=b.sha256, size=b.size, complete=b.complete, ledger_index=b.ledger_index,
            inclusion_proof=b.inclusion_proof, tree_head=b.tree_head,
        )  # fmt: skip

    def completeness(self) -> dict[str, Any]:
        """The completeness report as a document of its own (a download beside the PDF)."""
        return {"period": self.period, "sha256": self.sha256, "complete": self.complete,
                "checks": [c.model_dump() for c in self.checks]}  # fmt: skip


class VerdictView(Contract):
    """slsa-watch's verdict on one submission (collection `portal_verdicts`, key: submission id).

    What a release step waits for (`trust-portal verdict ID --wait`): verified or rejected, the level
    reached, the organisation's checks and, when rejected, every reason.
    """

    tenant: str
    submission_id: str
    status: Literal["verified", "rejected"]
    repo: str
    artifact_name: str
    artifact_sha256: str
    build_level: int
    hermetic: bool = False
    dependencies_pinned: bool = False
    builder_id: str = ""
    reasons: tuple[str, ...] = ()
    decided_at: UtcDatetime

    @classmethod
    def of(cls, event: ProvenanceVerified | ProvenanceRejected) -> VerdictView:
        """The view of one verdict event."""
        if isinstance(event, ProvenanceRejected):
            r = event.data
            return cls(tenant=event.tenantid, submission_id=r.submission_id, status="rejected", repo=r.repo,
                       artifact_name=r.artifact_name, artifact_sha256=r.artifact_sha256, build_level=r.build_level,
                       reasons=r.reasons, decided_at=r.rejected_at)  # fmt: skip
        v = event.data
        return cls(
            tenant=event.tenantid, submission_id=v.submission_id, status="verified", repo=v.repo,
            artifact_name=v.artifact_name, artifact_sha256=v.artifact_sha256, build_level=v.build_level,
            hermetic=v.hermetic, dependencies_pinned=v.dependencies_pinned, builder_id=v.builder_id,
            decided_at=v.verified_at,
        )  # fmt: skip
