"""The board's billing handler on fakes: invoices and payments kept once each, poison to the DLQ alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from board import handlers
from board.payments import payment_event_id
from board.projections import ProbeHour
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

    deps = handlers.Deps(
        invoices=invoices, payments=payments, probe_hours=InMemoryProjectionStore[ProbeHour](), dead_letter=dead_letter
    )
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


async def test_probe_results_go_to_their_hour_documents_once_and_a_poison_record_to_the_dlq():
    from schemas.sla import ProbeResult, ProbeResultData

    hours = InMemoryProjectionStore[ProbeHour]()
    dead: list[Any] = []

    async def dead_letter(record: Any, error: BaseException) -> None:
        dead.append(record)

    deps = handlers.Deps(invoices=InMemoryProjectionStore[Invoice](), payments=InMemoryProjectionStore[Payment](),
                         probe_hours=hours, dead_letter=dead_letter)  # fmt: skip
    events = [
        ProbeResult.create(
            data=ProbeResultData(
                target=target,
                url="http://p/readyz",
                ok=True,
                status=200,
                latency_ms=3.0,
                probed_at=NOW.replace(minute=m),
                prober="p1",
            ),
            source="/tests",
            tenantid="platform",
            time=NOW,
        )
        for target in ("readyz", "tenant-read")
        for m in (0, 30)
    ]
    bodies = [e.to_json() for e in events] + [b"{}"]
    assert await handlers.on_sla(bodies, list(range(5)), deps) == 2
    assert await handlers.on_sla(bodies[:4], list(range(4)), deps) == 0
    assert dead == [4]
    stored = await hours.get("readyz/2026-06-01T09")
    assert stored is not None and len(stored.probes()) == 2
