"""The revenue report of a month, folded from invoices and payments: pure.

Definitions (as subscription-analytics tools such as ChartMogul and Baremetrics use them):

- MRR of a tenant for month M: the recurring lines (the plan's base fee; metered overage is usage, not
  recurring) of its invoice for M. Invoices are issued in arrears, so a month's MRR is known once its
  invoices are out; the report names the invoices it found.
- Movements from M-1 to M, per tenant: new (0 -> >0, never paid before), reactivation (0 -> >0, had
  MRR before M-1), expansion (up), contraction (down, still > 0), churned (>0 -> 0). MRR(M) =
  MRR(M-1) + new + reactivation + expansion - contraction - churned, per currency.
- Invoiced month-to-date: invoices issued in [start of M, as of). Collected: payments received then.
- Outstanding as of a date: what each invoice issued by then still lacks, aged by days since issue
  (0-30, 31-60, 61-90, 90+); overdue after the payment terms.

Amounts are integer minor units and never summed across currencies: every total is per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.billing import InvoiceIssuedData, PaymentReceivedData
from schemas.envelope import Contract
from schemas.revenue import (
    BUCKETS,
    Ageing,
    Amount,
    InvoiceStatus,
    Issue,
    Movement,
    MrrSummary,
    RevenueReport,
    TenantRevenue,
)
from service_kit.periods import Period

from board.money import shown


class Invoice(Contract):
    """An invoice as issued, with its tenant (the board_invoices document)."""

    tenant: str
    data: InvoiceIssuedData


class Payment(Contract):
    """A payment as imported, with its event id and the tenant it was keyed by (the board_payments document)."""

    event_id: str
    tenant: str
    data: PaymentReceivedData


def recurring_minor(invoice: InvoiceIssuedData) -> int:
    """The invoice's recurring revenue: its lines that are not metered usage."""
    return sum(line.amount_minor for line in invoice.lines if line.meter is None)


def previous_month(month: Period) -> Period:
    """The calendar month before `month`."""
    return Period.month_of(month.start - timedelta(days=1))


def bucket(age_days: int) -> str:
    """The ageing bucket of an invoice `age_days` old."""
    return "0-30" if age_days <= 30 else "31-60" if age_days <= 60 else "61-90" if age_days <= 90 else "90+"


def movement(previous: int, current: int, *, paid_before: bool) -> Movement:
    """How a tenant's MRR moved from one month to the next."""
    if previous == current:
        return "unchanged"
    if previous == 0:
        return "reactivation" if paid_before else "new"
    if current == 0:
        return "churned"
    return "expansion" if current > previous else "contraction"


@dataclass
class Settlement:
    """What the payments did to the invoices: paid per invoice, issues found, payments counted once."""

    paid: dict[str, int]
    issues: list[Issue]
    counted: list[Payment]


def settle(invoices: dict[str, Invoice], payments: Iterable[Payment]) -> Settlement:
    """Match each payment to its invoice by id and currency and apply it; name every payment that does not fit.

    A payment id seen again with different content is a conflicting duplicate (not applied twice); a
    second payment of the full amount of an invoice it finds settled is a duplicate charge.
    """
    paid: dict[str, int] = defaultdict(int)
    issues: list[Issue] = []
    seen: dict[str, Payment] = {}
    counted: list[Payment] = []
    settled_by: dict[str, str] = {}
    for payment in sorted(payments, key=lambda p: (p.data.received_at, p.data.payment_id, p.event_id)):
        data = payment.data
        if data.payment_id in seen:
            first = seen[data.payment_id].data
            issues.append(
                Issue(kind="duplicate", tenant=payment.tenant, invoice_id=data.invoice_id, payment_id=data.payment_id,
                      reason=f"payment {data.payment_id} imported twice with different content "
                      f"({shown(first.amount_minor, first.currency)} for {first.invoice_id} on "
                      f"{first.received_at:%Y-%m-%d}, "
                      f"then {shown(data.amount_minor, data.currency)} for {data.invoice_id} on "
                      f"{data.received_at:%Y-%m-%d}); the first is counted")
            )  # fmt: skip
            continue
        seen[data.payment_id] = payment
        counted.append(payment)
        invoice = invoices.get(data.invoice_id)
        if invoice is None:
            issues.append(
                Issue(kind="unmatched", tenant=payment.tenant, invoice_id=data.invoice_id, payment_id=data.payment_id,
                      reason=f"no invoice {data.invoice_id} on record for {shown(data.amount_minor, data.currency)}")
            )  # fmt: skip
            continue
        total, currency = invoice.data.total_minor, invoice.data.currency
        if data.currency != currency:
            issues.append(
                Issue(kind="currency-mismatch", tenant=invoice.tenant, invoice_id=data.invoice_id,
                      payment_id=data.payment_id,
                      reason=f"paid {shown(data.amount_minor, data.currency)} against an invoice in {currency}; "
                      "not applied")
            )  # fmt: skip
            continue
        if data.invoice_id in settled_by and data.amount_minor == total:
            issues.append(
                Issue(kind="duplicate", tenant=invoice.tenant, invoice_id=data.invoice_id, payment_id=data.payment_id,
                      reason=f"the full amount {shown(total, currency)} again: payment {settled_by[data.invoice_id]} "
                      "already settled this invoice (a double charge to refund)")
            )  # fmt: skip
            continue
        paid[data.invoice_id] += data.amount_minor
        if paid[data.invoice_id] >= total:
            settled_by.setdefault(data.invoice_id, data.payment_id)
    return Settlement(dict(paid), issues, counted)


def invoice_issues(invoices: Iterable[Invoice], paid: dict[str, int]) -> list[Issue]:
    """Invoices whose lines do not add up, and invoices paid in part or too much."""
    issues: list[Issue] = []
    for invoice in invoices:
        data = invoice.data
        lines = data.lines_total_minor()
        if lines != data.total_minor:
            issues.append(
                Issue(kind="lines-mismatch", tenant=invoice.tenant, invoice_id=data.invoice_id,
                      reason=f"total {shown(data.total_minor, data.currency)} but its {len(data.lines)} line(s) "
                      f"add up to {shown(lines, data.currency)} "
                      f"(difference {shown(data.total_minor - lines, data.currency)})")
            )  # fmt: skip
        got = paid.get(data.invoice_id, 0)
        if 0 < got < data.total_minor:
            issues.append(
                Issue(kind="partial", tenant=invoice.tenant, invoice_id=data.invoice_id,
                      reason=f"{shown(got, data.currency)} of {shown(data.total_minor, data.currency)} paid; "
                      f"{shown(data.total_minor - got, data.currency)} outstanding")
            )  # fmt: skip
        elif got > data.total_minor:
            issues.append(
                Issue(kind="over-payment", tenant=invoice.tenant, invoice_id=data.invoice_id,
                      reason=f"{shown(got, data.currency)} paid against {shown(data.total_minor, data.currency)}: "
                      f"{shown(got - data.total_minor, data.currency)} too much")
            )  # fmt: skip
    return issues


def _amounts(pairs: Iterable[tuple[str, int]]) -> tuple[Amount, ...]:
    count: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for currency, amount in pairs:
        count[currency] += 1
        total[currency] += amount
    return tuple(Amount(currency=c, count=count[c], amount_minor=total[c]) for c in sorted(total))


def mrr_lines(invoices: Iterable[Invoice], month: Period) -> tuple[list[TenantRevenue], list[MrrSummary]]:
    """Per tenant and currency: MRR of `month` and of the month before, and the movement; and the totals."""
    prev = previous_month(month)
    current: dict[tuple[str, str], tuple[str, int]] = {}
    previous: dict[tuple[str, str], tuple[str, int]] = {}
    earlier: set[tuple[str, str]] = set()
    for invoice in invoices:
        data, key = invoice.data, (invoice.tenant, invoice.data.currency)
        if data.period == str(month):
            current[key] = (data.plan, recurring_minor(data))
        elif data.period == str(prev):
            previous[key] = (data.plan, recurring_minor(data))
        elif data.period < str(prev) and recurring_minor(data) > 0:
            earlier.add(key)
    rows: list[TenantRevenue] = []
    for key in sorted(current.keys() | previous.keys()):
        plan, mrr = current.get(key, (previous.get(key, ("", 0))[0], 0))
        before = previous.get(key, ("", 0))[1]
        rows.append(
            TenantRevenue(tenant=key[0], plan=plan, currency=key[1], mrr_minor=mrr, previous_mrr_minor=before,
                          movement=movement(before, mrr, paid_before=key in earlier),
                          invoiced_minor=0, collected_minor=0, outstanding_minor=0)
        )  # fmt: skip
    summaries: list[MrrSummary] = []
    for currency in sorted({r.currency for r in rows}):
        mine = [r for r in rows if r.currency == currency]

        def moved(kind: Movement, rows: list[TenantRevenue] = mine) -> int:
            return sum(abs(r.mrr_minor - r.previous_mrr_minor) for r in rows if r.movement == kind)

        by_plan: dict[str, int] = defaultdict(int)
        for r in mine:
            if r.mrr_minor:
                by_plan[r.plan] += r.mrr_minor
        summaries.append(
            MrrSummary(currency=currency, mrr_minor=sum(r.mrr_minor for r in mine),
                       previous_minor=sum(r.previous_mrr_minor for r in mine), new_minor=moved("new"),
                       reactivation_minor=moved("reactivation"), expansion_minor=moved("expansion"),
                       contraction_minor=moved("contraction"), churned_minor=moved("churned"),
                       customers=sum(1 for r in mine if r.mrr_minor > 0), by_plan=dict(sorted(by_plan.items())))
        )  # fmt: skip
    return rows, summaries


def revenue_report(
    invoices: Iterable[Invoice],
    payments: Iterable[Payment],
    month: Period,
    now: datetime,
    *,
    terms_days: int = 30,
    mrr_until: datetime | None = None,
) -> RevenueReport:
    """The report of `month` made at `now`.

    Money (invoiced, collected, outstanding, reconciliation) is as of min(now, the month's end). MRR is
    from the invoices *for* the month and the one before, issued by `now`: invoices go out in arrears,
    so a month's MRR is known once its invoices are out, after the month (`mrr_until` reads later
    invoices too: the board pack reads every invoice on record).
    """
    if month.kind != "month":
        raise ValueError(f"the revenue report is per month, not {month}")
    invoices = list(invoices)
    as_of = min(now, month.end)
    known = {i.data.invoice_id: i for i in invoices if i.data.issued_at < as_of}
    received = [p for p in payments if p.data.received_at < as_of]
    settlement = settle(known, received)
    in_month = [p for p in settlement.counted if p.data.received_at >= month.start]
    issued = [i for i in known.values() if i.data.issued_at >= month.start]
    statuses = [
        InvoiceStatus.of(i.tenant, i.data, settlement.paid.get(key, 0), as_of, terms_days)
        for key, i in sorted(known.items())
    ]
    mrr_known = mrr_until or now
    rows, mrr = mrr_lines((i for i in invoices if i.data.issued_at <= mrr_known), month)
    rows = _with_money(rows, issued, in_month, known, statuses)
    ageing: list[Ageing] = []
    for currency in sorted({s.currency for s in statuses if s.due_minor}):
        due = [s for s in statuses if s.currency == currency and s.due_minor]
        buckets = dict.fromkeys(BUCKETS, 0)
        for s in due:
            buckets[bucket(s.age_days)] += s.due_minor
        ageing.append(
            Ageing(currency=currency, buckets=buckets, total_minor=sum(s.due_minor for s in due),
                   overdue_minor=sum(s.due_minor for s in due if s.overdue))
        )  # fmt: skip
    issues = settlement.issues + invoice_issues(known.values(), settlement.paid)
    return RevenueReport(
        period=str(month),
        as_of=as_of,
        made_at=now,
        invoices_for_period=sum(1 for i in invoices if i.data.period == str(month) and i.data.issued_at <= mrr_known),
        mrr=tuple(mrr),
        invoiced=_amounts((i.data.currency, i.data.total_minor) for i in issued),
        collected=_amounts((p.data.currency, p.data.amount_minor) for p in in_month),
        outstanding=tuple(ageing),
        tenants=tuple(rows),
        invoices=tuple(statuses),
        issues=tuple(sorted(issues, key=lambda i: (i.kind, i.tenant, i.invoice_id, i.payment_id or ""))),
        sources={"invoices": len(known), "payments": len(received)},
    )


def _with_money(
    rows: list[TenantRevenue],
    issued: list[Invoice],
    in_month: list[Payment],
    known: dict[str, Invoice],
    statuses: list[InvoiceStatus],
) -> list[TenantRevenue]:
    """The MRR rows with each tenant's invoiced, collected and outstanding money added.

    Tenants with money but no MRR in either month get a row too.
    """
    money: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for invoice in issued:
        money[(invoice.tenant, invoice.data.currency)][0] += invoice.data.total_minor
    for payment in in_month:
        paid_for = known.get(payment.data.invoice_id)
        tenant = paid_for.tenant if paid_for else payment.tenant
        money[(tenant, payment.data.currency)][1] += payment.data.amount_minor
    for s in statuses:
        money[(s.tenant, s.currency)][2] += s.due_minor
    plans = {(i.tenant, i.data.currency): i.data.plan for i in known.values()}
    by_key = {(r.tenant, r.currency): r for r in rows}
    for key in money.keys() - by_key.keys():
        if any(money[key]):
            by_key[key] = TenantRevenue(
                tenant=key[0], plan=plans.get(key, ""), currency=key[1], mrr_minor=0, previous_mrr_minor=0,
                movement="unchanged", invoiced_minor=0, collected_minor=0, outstanding_minor=0,
            )  # fmt: skip
    return [
        row.model_copy(update=dict(zip(("invoiced_minor", "collected_minor", "outstanding_minor"), money[key],
                                       strict=True)))
        for key, row in sorted(by_key.items())
    ]  # fmt: skip
