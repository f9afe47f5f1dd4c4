"""Pure folds of the board's read models: an event -> the (key, document) to keep."""

from __future__ import annotations

from array import array
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.billing import BillingFact, InvoiceIssued, PaymentReceived
from schemas.envelope import Contract
from schemas.sla import ProbeResult, ProbeResultData

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


US = timedelta(microseconds=1)


def _column(code: str, data: bytes) -> array[Any]:
    """A column stored as bytes (machine order: little-endian on every platform the board ships for)."""
    values = array(code)
    values.frombytes(data)
    return values


class ProbeHour(Contract):
    """Probes of one target in one hour, in packed columns (a board_probe_hours document, one per hour and batch).

    A month is some 720 of these per target however often the prober runs. The columns are bytes, not
    arrays of values: a Mongo-wire server stores and returns one value per column, so a month reads
    back in a fraction of a second (arrays of hundreds of values each cost FerretDB seconds).
    """

    target: str
    hour: datetime
    count: int
    offsets_us: bytes = b""
    """int64 per probe: microseconds after the hour."""
    ok: bytes = b""
    """One byte per probe: 1 passed, 0 failed."""
    status: bytes = b""
    """uint16 per probe: the HTTP status, 0 when no answer came."""
    latency_ms: bytes = b""
    """float64 per probe."""
    errors: dict[str, str] = {}
    """Why each failed probe failed, by its position."""

    @classmethod
    def of(cls, target: str, hour: datetime, results: list[ProbeResultData]) -> ProbeHour:
        """The document of `results` (all of `target` in `hour`)."""
        return cls(
            target=target,
            hour=hour,
            count=len(results),
            offsets_us=array("q", ((r.probed_at - hour) // US for r in results)).tobytes(),
            ok=bytes(r.ok for r in results),
            status=array("H", (r.status or 0 for r in results)).tobytes(),
            latency_ms=array("d", (r.latency_ms for r in results)).tobytes(),
            errors={str(i): r.error for i, r in enumerate(results) if r.error},
        )

    def offsets(self) -> array[Any]:
        """Each probe's microseconds after the hour."""
        return _column("q", self.offsets_us)

    def probes(self) -> list[Probe]:
        """The document's probes, in the order they were kept (in UTC, the C-level tzinfo: cheap to compare)."""
        hour, target = self.hour.astimezone(UTC), self.target
        probes = [
            Probe(target, hour + timedelta(microseconds=off), good == 1, status or None, latency, None)
            for off, good, status, latency in zip(
                self.offsets(), self.ok, _column("H", self.status), _column("d", self.latency_ms), strict=True
            )
        ]  # fmt: skip
        for i, error in self.errors.items():  # only failed probes have one
            probes[int(i)] = probes[int(i)]._replace(error=error)
        return probes


def hour_of(at: datetime) -> datetime:
    """The hour an instant falls in."""
    return at.replace(minute=0, second=0, microsecond=0)


def probe_hour_key(target: str, hour: datetime) -> str:
    """`readyz/2026-05-03T14`: sorts by target, then time."""
    return f"{target}/{hour:%Y-%m-%dT%H}"


def unique_probes(chunks: list[ProbeHour]) -> list[Probe]:
    """The probes of `chunks`, each once: a target probed at one instant is one probe however often kept.

    Chunks of one target and hour overlap only when a batch was redelivered cut differently: only then
    are their probes compared one by one.
    """
    by_hour: dict[tuple[str, datetime], list[ProbeHour]] = defaultdict(list)
    for chunk in chunks:
        by_hour[(chunk.target, chunk.hour)].append(chunk)
    probes: list[Probe] = []
    for same in by_hour.values():
        offsets = [off for chunk in same for off in chunk.offsets()]
        if len(set(offsets)) == len(offsets):
            probes.extend(p for chunk in same for p in chunk.probes())
            continue
        seen: set[datetime] = set()
        for chunk in same:
            for probe in chunk.probes():
                if probe.probed_at not in seen:
                    seen.add(probe.probed_at)
                    probes.append(probe)
    return probes


def probe_chunks(events: list[ProbeResult]) -> list[tuple[str, ProbeHour]]:
    """A batch's probes as one document per target and hour it touches, to insert (never to update).

    Keyed `readyz/2026-05-03T14/<id of the chunk's last probe>`: a redelivered batch is the same keys,
    and a probe kept twice (a batch redelivered cut differently) is read once (unique_probes).
    """
    grouped: dict[tuple[str, datetime], list[ProbeResult]] = defaultdict(list)
    for event in events:
        grouped[(event.data.target, hour_of(event.data.probed_at))].append(event)
    chunks: list[tuple[str, ProbeHour]] = []
    for (target, hour), found in sorted(grouped.items()):
        seen: set[str] = set()
        mine: list[ProbeResult] = []
        for event in found:  # each event once, in order
            if event.id not in seen:
                seen.add(event.id)
                mine.append(event)
        key = f"{probe_hour_key(target, hour)}/{mine[-1].id}"
        chunks.append((key, ProbeHour.of(target, hour, [e.data for e in mine])))
    return chunks
