"""The board's revenue report, a read model (collection `board_revenue`, key: the month) others read.

The board folds it from billing.events.v1 (board.revenue) and refreshes it as time passes; the portal's
platform revenue view reads it, and its Finance tab judges each invoice's standing by the same rule
(InvoiceStatus.of). Amounts are integer minor units and never summed across currencies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from schemas.billing import InvoiceIssuedData
from schemas.envelope import Contract, UtcDatetime

Movement = Literal["new", "reactivation", "expansion", "contraction", "churned", "unchanged"]
Status = Literal["paid", "partial", "outstanding", "over-paid"]
IssueKind = Literal["lines-mismatch", "unmatched", "currency-mismatch", "duplicate", "partial", "over-payment"]
BUCKETS = ("0-30", "31-60", "61-90", "90+")


class Amount(Contract):
    """A count of documents and their sum, in one currency."""

    currency: str
    count: int
    amount_minor: int


class MrrSummary(Contract):
    """MRR of the month and its movements from the month before, in one currency."""

    currency: str
    mrr_minor: int
    previous_minor: int
    new_minor: int
    reactivation_minor: int
    expansion_minor: int
    contraction_minor: int
    churned_minor: int
    customers: int
    by_plan: dict[str, int]


class TenantRevenue(Contract):
    """One tenant's line of the report, in one currency."""

    tenant: str
    plan: str
    currency: str
    mrr_minor: int
    previous_mrr_minor: int
    movement: Movement
    invoiced_minor: int
    collected_minor: int
    outstanding_minor: int


class Ageing(Contract):
    """What is outstanding in one currency, by days since issue."""

    currency: str
    buckets: dict[str, int]
    total_minor: int
    overdue_minor: int


class InvoiceStatus(Contract):
    """An invoice's standing as of the report's date."""

    invoice_id: str
    tenant: str
    period: str
    currency: str
    total_minor: int
    paid_minor: int
    due_minor: int
    issued_at: UtcDatetime
    age_days: int
    status: Status
    overdue: bool

    @classmethod
    def of(cls, tenant: str, invoice: InvoiceIssuedData, paid: int, as_of: datetime, terms_days: int) -> InvoiceStatus:
        """The standing of `invoice` as of `as_of`, given what was paid against it (in its currency).

        Overdue: something is still due more than `terms_days` after issue.
        """
        due = max(0, invoice.total_minor - paid)
        age = max(0, (as_of - invoice.issued_at).days)
        status: Status = (
            "over-paid" if paid > invoice.total_minor else "paid" if due == 0 else "partial" if paid else "outstanding"
        )
        return cls(
            invoice_id=invoice.invoice_id, tenant=tenant, period=invoice.period, currency=invoice.currency,
            total_minor=invoice.total_minor, paid_minor=paid, due_minor=due, issued_at=invoice.issued_at,
            age_days=age, status=status, overdue=due > 0 and age > terms_days,
        )  # fmt: skip

    @property
    def label(self) -> str:
        """What a reader is told: paid, partial, outstanding, overdue or over-paid."""
        return "overdue" if self.overdue else self.status


class Issue(Contract):
    """Something the reconciliation found: what, where and why."""

    kind: IssueKind
    tenant: str
    invoice_id: str
    payment_id: str | None = None
    reason: str


class RevenueReport(Contract):
    """The revenue report of one month: money as of a date (the month's end once it is over), MRR as of `made_at`."""

    period: str
    as_of: UtcDatetime
    made_at: UtcDatetime
    invoices_for_period: int
    mrr: tuple[MrrSummary, ...]
    invoiced: tuple[Amount, ...]
    collected: tuple[Amount, ...]
    outstanding: tuple[Ageing, ...]
    tenants: tuple[TenantRevenue, ...]
    invoices: tuple[InvoiceStatus, ...]
    issues: tuple[Issue, ...]
    sources: dict[str, int]
