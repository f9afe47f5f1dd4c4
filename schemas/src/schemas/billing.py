"""Billing context: metered usage and invoices, on billing.events.v1. Money is integer minor units + ISO 4217."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter, model_validator

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
    """A tenant's invoice for a period; `total_minor` is the sum of its lines."""

    invoice_id: str
    period: Period
    plan: str
    currency: Currency
    lines: tuple[InvoiceLine, ...]
    total_minor: int = Field(ge=0)
    issued_at: UtcDatetime

    @model_validator(mode="after")
    def _total_is_sum_of_lines(self) -> InvoiceIssuedData:
        if self.total_minor != sum(line.amount_minor for line in self.lines):
            raise ValueError("total_minor must equal the sum of the lines' amount_minor")
        return self


class InvoiceIssued(CloudEvent):
    """An invoice was issued (its id is derived from tenant and period, so a rerun never bills twice)."""

    TYPE: ClassVar[str] = "io.trustportal.billing.invoice-issued.v1"
    type: Literal["io.trustportal.billing.invoice-issued.v1"] = "io.trustportal.billing.invoice-issued.v1"
    data: InvoiceIssuedData


BillingFact = Annotated[UsageRecorded | InvoiceIssued, Field(discriminator="type")]
"""Any event on billing.events.v1 (payments come with the board issue)."""

BILLING_FACTS: TypeAdapter[BillingFact] = TypeAdapter(BillingFact)
