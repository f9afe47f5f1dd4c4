"""The Finance tab's payment status and the platform views' reads, on in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from portal_api import reads
from portal_api.authorization import Access
from portal_api.reads import Ledger
from portal_api.views import BoardPackView, InvoiceEntry, PaymentEntry, UsageEntry
from schemas.billing import InvoiceLine
from service_kit.testing import InMemoryProjectionStore

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
BILLING = frozenset({"usage", "invoices", "invoice_amount", "payments"})


def access(fields: frozenset[str]) -> Access:
    return Access(allowed=True, fields=fields, withheld=frozenset(), fact=cast(Any, None))


def invoice(tenant: str, period: str, total: int, issued_days_ago: int, currency: str = "EUR") -> InvoiceEntry:
    line = InvoiceLine(description="plan", quantity=1, unit_price_minor=total, amount_minor=total)
    return InvoiceEntry(tenant=tenant, invoice_id=f"inv-{tenant}-{period}", period=period, plan="standard",
                        currency=currency, lines=(line,), total_minor=total,
                        issued_at=NOW - timedelta(days=issued_days_ago))  # fmt: skip


def paid(tenant: str, pid: str, invoice_id: str, amount: int, currency: str = "EUR") -> PaymentEntry:
    return PaymentEntry(tenant=tenant, payment_id=pid, invoice_id=invoice_id, amount_minor=amount,
                        currency=currency, received_at=NOW, method="card")  # fmt: skip


async def ledger_of(invoices: list[InvoiceEntry], payments: list[PaymentEntry]) -> Ledger:
    stored_invoices = InMemoryProjectionStore[InvoiceEntry]()
    stored_payments = InMemoryProjectionStore[PaymentEntry]()
    for i in invoices:
        await stored_invoices.save(i.invoice_id, i)
    for p in payments:
        await stored_payments.save(p.payment_id, p)
    return Ledger(stored_invoices, stored_payments, terms_days=30, clock=lambda: NOW)


async def test_each_invoice_is_paid_partial_outstanding_or_overdue_counting_only_its_own_currency_and_tenant():
    invoices = [
        invoice("acme", "2026-11", 100_00, 2),  # paid in full
        invoice("acme", "2026-10", 100_00, 33),  # half paid, past the terms: overdue
        invoice("acme", "2026-09", 100_00, 5),  # paid in USD only: outstanding
        invoice("acme", "2026-08", 100_00, 4),  # half paid, within terms: partial
        invoice("beta", "2026-11", 100_00, 2),
    ]
    payments = [
        paid("acme", "p1", "inv-acme-2026-11", 100_00),
        paid("acme", "p2", "inv-acme-2026-10", 50_00),
        paid("acme", "p3", "inv-acme-2026-09", 100_00, currency="USD"),
        paid("acme", "p4", "inv-acme-2026-08", 50_00),
        paid("beta", "p5", "inv-acme-2026-08", 50_00),  # another tenant's payment naming acme's invoice
    ]
    found = await reads.finance(InMemoryProjectionStore[UsageEntry](), await ledger_of(invoices, payments), "acme",
                                access(BILLING))  # fmt: skip
    status = {i["period"]: (i["payment"]["status"], i["payment"]["paid_minor"]) for i in found["invoices"]}
    assert status == {"2026-11": ("paid", 100_00), "2026-10": ("overdue", 50_00),
                      "2026-09": ("outstanding", 0), "2026-08": ("partial", 50_00)}  # fmt: skip


async def test_without_amounts_the_status_is_shown_and_no_sum_of_money():
    ledger = await ledger_of([invoice("acme", "2026-11", 100_00, 2)], [paid("acme", "p1", "inv-acme-2026-11", 40_00)])
    found = await reads.finance(InMemoryProjectionStore[UsageEntry](), ledger, "acme",
                                access(frozenset({"invoices", "payments"})))  # fmt: skip
    [row] = found["invoices"]
    assert row["payment"]["status"] == "partial" and set(row["payment"]) == {"status", "due_at"}
    assert "total_minor" not in row


async def test_board_packs_are_listed_newest_first_with_only_the_fields_shown():
    store = InMemoryProjectionStore[BoardPackView]()
    for n, period in enumerate(("2026-09", "2026-11", "2026-10")):
        view = BoardPackView(request_id=f"r{n}", period=period, state="built", at=NOW + timedelta(days=n),
                             sha256="a" * 64, inclusion_proof={"secret": 1})  # fmt: skip
        await store.save(view.request_id, view)
    found = await reads.board_packs(store, access(frozenset({"period", "sha256"})))
    assert [p["period"] for p in found["packs"]] == ["2026-10", "2026-11", "2026-09"]
    assert all(set(p) == {"period", "sha256"} for p in found["packs"])
