"""The board's billing handler on fakes: invoices and payments kept once each, poison to the DLQ alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from board import handlers
from board.payments import payment_event_id
from board.revenue import Invoice, Payment
from schemas.billing import (
    InvoiceIssued,
    InvoiceIssuedData,
    InvoiceLine,
    PaymentReceived,
    PaymentReceivedData,
    UsageRecorded,
    UsageRecordedData,
)
from service_kit.testing import InMemoryProjectionStore

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def issued(tenant: str, total: int) -> InvoiceIssued:
    line = InvoiceLine(description="plan", quantity=1, unit_price_minor=total, amount_minor=total)
    data = InvoiceIssuedData(invoice_id=f"inv-{tenant}", period="2026-05", plan="standard", currency="EUR",
                             lines=(line,), total_minor=total, issued_at=NOW)  # fmt: skip
    return InvoiceIssued.create(data=data, id=data.invoice_id, source="/tests", tenantid=tenant, time=NOW)


def paid(pid: str, amount: int) -> PaymentReceived:
    data = PaymentReceivedData(payment_id=pid, invoice_id="inv-acme", amount_minor=amount, currency="EUR",
                               received_at=NOW, method="card")  # fmt: skip
    return PaymentReceived.create(data=data, id=payment_event_id(data), source="/tests", tenantid="acme", time=NOW)


def usage() -> UsageRecorded:
    data = UsageRecordedData(meter="api_calls", quantity=3, period="2026-05", window_start=NOW, window_end=NOW,
                             recorded_by="p")  # fmt: skip
    return UsageRecorded.create(data=data, source="/tests", tenantid="acme", time=NOW)


async def test_a_batch_keeps_each_invoice_and_payment_once_and_sends_only_the_poison_record_to_the_dlq():
    invoices, payments = InMemoryProjectionStore[Invoice](), InMemoryProjectionStore[Payment]()
    dead: list[tuple[Any, BaseException]] = []

    async def dead_letter(record: Any, error: BaseException) -> None:
        dead.append((record, error))

    deps = handlers.Deps(invoices=invoices, payments=payments, dead_letter=dead_letter)
    events = [issued("acme", 199000), paid("p1", 100000), usage(), paid("p1", 120000)]
    bodies = [e.to_json() for e in events] + [b'{"type": "io.trustportal.billing.payment-received.v1"}']
    records = ["r1", "r2", "r3", "r4", "poison"]
    assert await handlers.on_billing(bodies, records, deps) == (1, 2)
    assert await handlers.on_billing(bodies[:4], records[:4], deps) == (0, 0)  # a redelivery changes nothing
    assert [r for r, _ in dead] == ["poison"]
    kept_invoice = await invoices.get("inv-acme")
    assert kept_invoice is not None and kept_invoice.data.total_minor == 199000
    kept = sorted(p.data.amount_minor for p in await payments.find({}))
    assert kept == [100000, 120000]  # the same payment id with other content is kept for the reconciliation
