"""Pure folds of the board's read models: an event -> the (key, document) to keep."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from schemas.billing import BillingFact, InvoiceIssued, PaymentReceived
from schemas.envelope import Contract
from schemas.sla import ProbeResult

from board.revenue import Invoice, Payment
from board.sla import Probe


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


class ProbeHour(Contract):
    """The probes of one target in one hour, in columns (the board_probe_hours document).

    A month is 720 of these per target however often the prober runs, and reading one back is
    one document of arrays rather than a document per probe.
    """

    target: str
    hour: datetime
    ids: tuple[str, ...] = ()
    offsets_s: tuple[float, ...] = ()
    ok: tuple[bool, ...] = ()
    status: tuple[int | None, ...] = ()
    latency_ms: tuple[float, ...] = ()
    errors: dict[str, str] = {}

    def probes(self) -> list[Probe]:
        """The hour's probes, in the order they were kept."""
        start = self.hour.timestamp()
        return [
            Probe(self.target, datetime.fromtimestamp(start + off, self.hour.tzinfo), ok, status, latency,
                  self.errors.get(str(i)))
            for i, (off, ok, status, latency) in enumerate(
                zip(self.offsets_s, self.ok, self.status, self.latency_ms, strict=True)
            )
        ]  # fmt: skip


def hour_of(at: datetime) -> datetime:
    """The hour an instant falls in."""
    return at.replace(minute=0, second=0, microsecond=0)


def probe_hour_key(target: str, hour: datetime) -> str:
    """`readyz/2026-05-03T14`: sorts by target, then time."""
    return f"{target}/{hour:%Y-%m-%dT%H}"


def probes_by_hour(events: list[ProbeResult]) -> dict[str, list[ProbeResult]]:
    """A batch's probes grouped by the hour document they go to."""
    grouped: dict[str, list[ProbeResult]] = defaultdict(list)
    for event in events:
        grouped[probe_hour_key(event.data.target, hour_of(event.data.probed_at))].append(event)
    return grouped


def probe_hour(current: ProbeHour | None, events: list[ProbeResult]) -> ProbeHour | None:
    """The hour with the events it does not hold yet (by event id); None when all were there (a redelivery)."""
    first = events[0].data
    hour = current or ProbeHour(target=first.target, hour=hour_of(first.probed_at))
    known = set(hour.ids)
    new: list[ProbeResult] = []
    for event in events:
        if event.id not in known:
            known.add(event.id)
            new.append(event)
    if not new:
        return None
    start = hour.hour.timestamp()
    errors = dict(hour.errors)
    for i, event in enumerate(new, start=len(hour.ids)):
        if event.data.error:
            errors[str(i)] = event.data.error
    return hour.model_copy(
        update={
            "ids": (*hour.ids, *(e.id for e in new)),
            "offsets_s": (*hour.offsets_s, *(e.data.probed_at.timestamp() - start for e in new)),
            "ok": (*hour.ok, *(e.data.ok for e in new)),
            "status": (*hour.status, *(e.data.status for e in new)),
            "latency_ms": (*hour.latency_ms, *(e.data.latency_ms for e in new)),
            "errors": errors,
        }
    )
