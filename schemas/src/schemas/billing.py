"""Billing context: metered usage and invoices, on billing.events.v1. Money is integer minor units + ISO 4217."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from schemas.envelope import CloudEvent, Contract, UtcDatetime

Meter = Literal["api_calls", "provenance_submissions", "pack_requests"]
METERS: tuple[Meter, ...] = ("api_calls", "provenance_submissions", "pack_requests")
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Calendar month, YYYY-MM (UTC).")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]


class UsageRecordedData(Contract):
    """Units of one meter used by one tenant within [window_start, window_end) (one batch of a portal process)."""

    meter: Meter
    quantity: int = Field(ge=1)
    period: Period
    window_start: UtcDatetime
    window_end: UtcDatetime
    recorded_by: str = Field(description="The process instance that counted, so batches never collide.")


class UsageRecorded(CloudEvent):
    """A batch of metered usage."""

    TYPE: ClassVar[str] = "io.trustportal.billing.usage-recorded.v1"
    type: Literal["io.trustportal.billing.usage-recorded.v1"] = "io.trustportal.billing.usage-recorded.v1"
    data: UsageRecordedData


class InvoiceLine(Contract):
    """One line: a base fee or one meter's overage."""

    description: str
    meter: Meter | None = None
    quantity: int = Field(ge=0)
    included: int = Field(ge=0, default=0)
    unit_price_minor: int = Field(ge=0)
    amount_minor: int = Field(ge=0)


class InvoiceIssuedData(Contract):
    """A tenant's invoice for a period; `total_minor` should be the sum of its lines.

    The contract does not refuse an invoice whose lines do not add up: the portal issues totals it
    computed from the lines, and the board's reconciliation names any invoice where they differ
    (a refused event would be lost to the dead-letter topic instead of reported).
    """

    invoice_id: str
    period: Period
    plan: str
    currency: Currency
    lines: tuple[InvoiceLine, ...]
    total_minor: int = Field(ge=0)
    issued_at: UtcDatetime

    def lines_total_minor(self) -> int:
        """The sum of the lines' amounts (what `total_minor` should be)."""
        return sum(line.amount_minor for line in self.lines)


class InvoiceIssued(CloudEvent):
    """An invoice was issued (its id is derived from tenant and period, so a rerun never bills twice)."""

    TYPE: ClassVar[str] = "io.trustportal.billing.invoice-issued.v1"
    type: Literal["io.trustportal.billing.invoice-issued.v1"] = "io.trustportal.billing.invoice-issued.v1"
    data: InvoiceIssuedData


BILLING_KEY = "_billing"
"""The Kafka key and tenantid of a payment whose tenant is not known (its invoice is not on record)."""


class PaymentReceivedData(Contract):
    """Money received against an invoice, as a payment processor's or bank's export reports it.

    Imported by the board (`board payments import`); the id is the processor's, so a rerun of the same
    export is the same event. Matching it to its invoice (by id, amount and currency) is the board's.
    """

    payment_id: str = Field(min_length=1, max_length=128)
    invoice_id: str = Field(min_length=1, max_length=128)
    amount_minor: int = Field(ge=1, description="Integer minor units of `currency` (cents for EUR).")
    currency: Currency
    received_at: UtcDatetime
    method: str = Field(min_length=1, max_length=64, description="card, bank_transfer, sepa_debit, ...")
    reference: str = Field(default="", max_length=256, description="The processor's or bank's reference text.")


class PaymentReceived(CloudEvent):
    """A payment was received (on billing.events.v1; event id derived from the payment id)."""

    TYPE: ClassVar[str] = "io.trustportal.billing.payment-received.v1"
    type: Literal["io.trustportal.billing.payment-received.v1"] = "io.trustportal.billing.payment-received.v1"
    data: PaymentReceivedData


BillingFact = Annotated[UsageRecorded | InvoiceIssued | PaymentReceived, Field(discriminator="type")]
"""Any event on billing.events.v1."""

BILLING_FACTS: TypeAdapter[BillingFact] = TypeAdapter(BillingFact)
