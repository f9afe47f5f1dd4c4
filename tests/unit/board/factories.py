"""Invoices and payments for the board's unit tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from board.payments import payment_event_id
from board.revenue import Invoice, Payment
from board.sla import Probe
from schemas.billing import InvoiceIssuedData, InvoiceLine, PaymentReceivedData


def invoice(
    tenant: str,
    period: str,
    base: int,
    *,
    overage: int = 0,
    currency: str = "EUR",
    plan: str = "standard",
    issued_at: datetime,
    total: int | None = None,
    ident: str | None = None,
) -> Invoice:
    lines = [InvoiceLine(description=f"{plan} plan", quantity=1, unit_price_minor=base, amount_minor=base)]
    if overage:
        lines.append(
            InvoiceLine(description="api calls", meter="api_calls", quantity=overage, unit_price_minor=1,
                        amount_minor=overage)
        )  # fmt: skip
    data = InvoiceIssuedData(
        invoice_id=ident or f"inv-{tenant}-{period}",
        period=period,
        plan=plan,
        currency=currency,
        lines=tuple(lines),
        total_minor=base + overage if total is None else total,
        issued_at=issued_at,
    )
    return Invoice(tenant=tenant, data=data)


def payment(
    pid: str, invoice_id: str, amount: int, at: datetime, *, currency: str = "EUR", tenant: str = "t"
) -> Payment:
    data = PaymentReceivedData(
        payment_id=pid, invoice_id=invoice_id, amount_minor=amount, currency=currency, received_at=at, method="card"
    )
    return Payment(event_id=payment_event_id(data), tenant=tenant, data=data)


def every_10s(start: datetime, end: datetime, *, target: str = "readyz", ok: bool = True, latency: float = 20.0,
              error: str | None = None) -> list[Probe]:  # fmt: skip
    probes, at = [], start
    while at < end:
        probes.append(Probe(target, at, ok, 200 if ok else 503, latency, None if ok else error or "status 503"))
        at += timedelta(seconds=10)
    return probes
