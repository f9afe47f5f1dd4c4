"""Plans, usage batching and invoices: pure functions over counts and plans (no I/O).

Money is integer minor units with an ISO 4217 currency, never floats.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from pydantic import Field, TypeAdapter
from schemas.billing import (
    METERS,
    Currency,
    InvoiceIssued,
    InvoiceIssuedData,
    InvoiceLine,
    Meter,
    UsageRecorded,
    UsageRecordedData,
)
from schemas.envelope import Contract
from service_kit.periods import Period

SOURCE = "/services/portal-api"
INVOICE_NAMESPACE = uuid.UUID("3d0c7f6e-2b1a-5e4d-8c9b-0a1f2e3d4c5b")
DEFAULT_PLANS = Path(__file__).parent / "plans.json"


class Plan(Contract):
    """A price plan: a monthly base fee, units included per meter, and a unit price beyond them."""

    name: str
    currency: Currency
    base_fee_minor: int = Field(ge=0)
    included: dict[Meter, int] = Field(default_factory=dict)
    overage_minor: dict[Meter, int] = Field(default_factory=dict, description="Price per unit beyond the included.")


PLANS = TypeAdapter(dict[str, Plan])


def load_plans(path: Path = DEFAULT_PLANS) -> dict[str, Plan]:
    """Plans by name, from a JSON object of name -> plan (validated: a bad plan file stops the start)."""
    raw = json.loads(path.read_text())
    return PLANS.validate_python({name: {"name": name, **plan} for name, plan in raw.items()})


def period_of(at: datetime) -> str:
    """The billing period (UTC calendar month) an instant belongs to."""
    return str(Period.month_of(at))


def invoice_id(tenant: str, period: str) -> str:
    """One invoice per tenant and period, whoever issues it and however often."""
    return str(uuid.uuid5(INVOICE_NAMESPACE, f"{tenant}/{period}"))


def invoice(tenant: str, period: str, plan: Plan, usage: Mapping[str, int], now: datetime) -> InvoiceIssued:
    """The invoice of `tenant` for `period` under `plan`, given the units used per meter."""
    lines = [
        InvoiceLine(
            description=f"{plan.name} plan, {period}",
            quantity=1,
            unit_price_minor=plan.base_fee_minor,
            amount_minor=plan.base_fee_minor,
        )
    ]
    for meter in METERS:
        used = usage.get(meter, 0)
        included = plan.included.get(meter, 0)
        price = plan.overage_minor.get(meter, 0)
        over = max(0, used - included)
        lines.append(
            InvoiceLine(
                description=f"{meter.replace('_', ' ')} beyond {included:,} included",
                meter=meter,
                quantity=used,
                included=included,
                unit_price_minor=price,
                amount_minor=over * price,
            )
        )
    ident = invoice_id(tenant, period)
    return InvoiceIssued.create(
        data=InvoiceIssuedData(
            invoice_id=ident,
            period=period,
            plan=plan.name,
            currency=plan.currency,
            lines=tuple(lines),
            total_minor=sum(line.amount_minor for line in lines),
            issued_at=now,
        ),
        id=ident,
        source=SOURCE,
        tenantid=tenant,
        subject=f"/tenants/{tenant}/invoices/{period}",
        time=now,
    )


class UsageMeter:
    """Counts usage in memory and hands it out in batches (one UsageRecorded per tenant, meter and period).

    A batch that could not be published is handed out again with the same ids, so a publish that
    timed out but landed is deduplicated downstream instead of billed twice.
    """

    def __init__(self, instance: str, started: datetime) -> None:
        self.instance = instance
        self.counts: Counter[tuple[str, Meter, str]] = Counter()
        self.window_start = started
        self.unsent: list[UsageRecorded] = []

    def count(self, tenant: str, meter: Meter, at: datetime, quantity: int = 1) -> None:
        """Record `quantity` units of `meter` used by `tenant` at `at`."""
        self.counts[(tenant, meter, period_of(at))] += quantity

    def batch(self, now: datetime) -> list[UsageRecorded]:
        """Everything counted since the last batch, plus anything not yet confirmed as sent."""
        fresh = [
            UsageRecorded.create(
                data=UsageRecordedData(
                    meter=meter,
                    quantity=quantity,
                    period=period,
                    window_start=self.window_start,
                    window_end=now,
                    recorded_by=self.instance,
                ),
                id=str(
                    uuid.uuid5(
                        INVOICE_NAMESPACE, f"{self.instance}/{self.window_start.isoformat()}/{tenant}/{meter}/{period}"
                    )
                ),
                source=SOURCE,
                tenantid=tenant,
                subject=f"/tenants/{tenant}/usage/{meter}",
                time=now,
            )
            for (tenant, meter, period), quantity in sorted(self.counts.items())
        ]
        self.counts.clear()
        self.window_start = now
        self.unsent.extend(fresh)
        return list(self.unsent)

    def sent(self, events: Iterable[UsageRecorded]) -> None:
        """Forget the batches confirmed as published."""
        done = {e.id for e in events}
        self.unsent = [e for e in self.unsent if e.id not in done]
