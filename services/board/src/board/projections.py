"""Pure folds of the board's read models: an event -> the (key, document) to keep."""

from __future__ import annotations

from schemas.billing import BillingFact, InvoiceIssued, PaymentReceived

from board.revenue import Invoice, Payment


def invoice_record(event: InvoiceIssued) -> tuple[str, Invoice]:
    """An invoice, keyed by invoice id: one per tenant and period, however often it is issued."""
    return event.data.invoice_id, Invoice(tenant=event.tenantid, data=event.data)


def payment_record(event: PaymentReceived) -> tuple[str, Payment]:
    """A payment, keyed by event id: a re-import is the same key; the same payment id with other content is kept too."""
    return event.id, Payment(event_id=event.id, tenant=event.tenantid, data=event.data)


def billing_records(events: list[BillingFact]) -> tuple[list[tuple[str, Invoice]], list[tuple[str, Payment]]]:
    """The invoices and payments of a batch of billing events (usage batches are the portal's)."""
    invoices = [invoice_record(e) for e in events if isinstance(e, InvoiceIssued)]
    payments = [payment_record(e) for e in events if isinstance(e, PaymentReceived)]
    return invoices, payments
