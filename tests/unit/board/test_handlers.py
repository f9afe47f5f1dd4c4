"""The board's billing handler on fakes: invoices and payments kept once each, poison to the DLQ alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from board import handlers
from board.facts import Fact
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
from schemas.board import (
    BoardPackBuilt,
    BoardPackBuiltData,
    BoardPackFailed,
    BoardPackFailedData,
    BoardPackRequested,
    BoardPackRequestedData,
)
from schemas.evidence import Anchored, AnchoredData, AnchorRequested, AnchorRequestedData
from service_kit.testing import InMemoryProjectionStore, RecordingPublisher

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


class FakePacks:
    """A pack maker that asks for an anchor for a month and fails a quarter; completes the anchors it asked for."""

    def __init__(self) -> None:
        self.asked: dict[str, str] = {}

    async def start(self, request: BoardPackRequested) -> AnchorRequested | BoardPackFailed:
        if request.data.period.endswith(("Q1", "Q2", "Q3", "Q4")):
            data = BoardPackFailedData(period=request.data.period, reason="incomplete: source: sla", failed_at=NOW)
            return BoardPackFailed.create(data=data, source="/tests", tenantid="platform", time=NOW)
        self.asked[request.data.request_id] = "f" * 64
        anchor = AnchorRequestedData(anchor_id=request.data.request_id, kind="board-pack", subject="board.pdf",
                                     sha256="f" * 64, requested_at=NOW)  # fmt: skip
        return AnchorRequested.create(data=anchor, source="/tests", tenantid="platform", time=NOW)

    async def anchored(self, fact: Fact) -> BoardPackBuilt | None:
        if self.asked.get(str(fact.data.get("anchor_id"))) != fact.data.get("sha256"):
            return None
        data = BoardPackBuiltData(period="2026-05", file_name="board-2026-05.pdf", sha256="f" * 64, size=1,
                                  complete=True, checks=(), ledger_index=3, inclusion_proof={}, tree_head={},
                                  built_at=NOW)  # fmt: skip
        return BoardPackBuilt.create(data=data, source="/tests", tenantid="platform", time=NOW)


class Fakes:
    """The board's stores as in-memory fakes, and the records sent to the DLQ."""

    def __init__(self) -> None:
        self.invoices = InMemoryProjectionStore[Invoice]()
        self.payments = InMemoryProjectionStore[Payment]()
        self.probe_hours = InMemoryProjectionStore[ProbeHour]()
        self.facts = InMemoryProjectionStore[Fact]()
        self.packs = FakePacks()
        self.board_events, self.evidence_requests = RecordingPublisher(), RecordingPublisher()
        self.dead: list[Any] = []

    async def dead_letter(self, record: Any, error: BaseException) -> None:
        self.dead.append(record)

    def deps(self) -> handlers.Deps:
        return handlers.Deps(invoices=self.invoices, payments=self.payments, probe_hours=self.probe_hours,
                             facts=self.facts, packs=self.packs, board_events=self.board_events,
                             evidence_requests=self.evidence_requests, dead_letter=self.dead_letter)  # fmt: skip


async def test_a_batch_keeps_each_invoice_and_payment_once_and_sends_only_the_poison_record_to_the_dlq():
    fakes = Fakes()
    deps, invoices, payments = fakes.deps(), fakes.invoices, fakes.payments
    events = [issued("acme", 199000), paid("p1", 100000), usage(), paid("p1", 120000)]
    bodies = [e.to_json() for e in events] + [b'{"type": "io.trustportal.billing.payment-received.v1"}']
    records = ["r1", "r2", "r3", "r4", "poison"]
    assert await handlers.on_billing(bodies, records, deps) == (1, 2)
    assert await handlers.on_billing(bodies[:4], records[:4], deps) == (0, 0)  # a redelivery changes nothing
    assert fakes.dead == ["poison"]
    kept_invoice = await invoices.get("inv-acme")
    assert kept_invoice is not None and kept_invoice.data.total_minor == 199000
    kept = sorted(p.data.amount_minor for p in await payments.find({}))
    assert kept == [100000, 120000]  # the same payment id with other content is kept for the reconciliation


async def test_probe_results_go_to_one_document_per_target_and_hour_once_and_a_poison_record_to_the_dlq():
    from schemas.sla import ProbeResult, ProbeResultData

    fakes = Fakes()
    deps, hours, dead = fakes.deps(), fakes.probe_hours, fakes.dead
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
    [stored] = [v for k, v in hours.docs.items() if k.startswith("readyz/2026-06-01T09/")]
    assert len(stored.probes()) == 2


async def test_facts_the_pack_reports_on_are_kept_once_other_events_skipped_and_poison_dead_lettered():
    from schemas.policy import PolicyBundlePublished, PolicyBundlePublishedData
    from schemas.tenant import TenantOnboarded, TenantOnboardedData, WebhookVerified, WebhookVerifiedData

    fakes = Fakes()
    onboarded = TenantOnboarded.create(
        data=TenantOnboardedData(slug="acme", cohort="w1", requested_at=NOW, onboarded_at=NOW,
                                 time_to_first_verify_s=12.0),
        source="/tests", tenantid="acme", time=NOW,
    )  # fmt: skip
    verified = WebhookVerified.create(
        data=WebhookVerifiedData(slug="acme", cohort="w1", attempts=1, status_code=200, latency_ms=3,
                                 verified_at=NOW),
        source="/tests", tenantid="acme", time=NOW,
    )  # fmt: skip
    bundle = PolicyBundlePublished.create(
        data=PolicyBundlePublishedData(bundle="portal", version="3", sha256="a" * 64, modules=("x.rego",),
                                       published_at=NOW),
        source="/tests", tenantid="platform", time=NOW,
    )  # fmt: skip
    bodies = [onboarded.to_json(), verified.to_json(), bundle.to_json(), b"[]"]
    assert await handlers.on_facts(bodies, ["a", "b", "c", "d"], fakes.deps()) == 2
    assert await handlers.on_facts(bodies[:3], ["a", "b", "c"], fakes.deps()) == 0
    assert fakes.dead == ["d"]
    kinds = sorted(f.kind for f in await fakes.facts.find({}))
    assert kinds == ["bundle-published", "tenant-onboarded"]
    kept = await fakes.facts.get(bundle.id)
    assert kept is not None and kept.data == {"bundle": "portal", "version": "3", "sha256": "a" * 64}


async def test_a_pack_request_asks_the_ledger_for_its_anchor_and_the_anchor_coming_back_announces_the_pack():
    fakes = Fakes()
    requested = BoardPackRequested.create(
        data=BoardPackRequestedData(request_id="r1", period="2026-05", requested_by="cfo", requested_at=NOW),
        source="/tests", tenantid="platform", time=NOW,
    )  # fmt: skip
    await handlers.on_pack_requested(requested, fakes.deps())
    assert fakes.evidence_requests.types == [AnchorRequested.TYPE] and fakes.board_events.events == []
    anchored = Anchored.create(
        data=AnchoredData(anchor_id="r1", kind="board-pack", subject="board.pdf", sha256="f" * 64, ledger_index=3,
                          inclusion_proof={}, tree_head={}, anchored_at=NOW),
        source="/tests", tenantid="platform", time=NOW,
    )  # fmt: skip
    assert await handlers.on_facts([anchored.to_json()], ["a"], fakes.deps()) == 1
    assert fakes.board_events.types == [BoardPackBuilt.TYPE]
    quarter = BoardPackRequested.create(
        data=BoardPackRequestedData(request_id="r2", period="2026-Q2", requested_by="cfo", requested_at=NOW),
        source="/tests", tenantid="platform", time=NOW,
    )  # fmt: skip
    await handlers.on_pack_requested(quarter, fakes.deps())
    assert fakes.board_events.types == [BoardPackBuilt.TYPE, BoardPackFailed.TYPE]
    assert len(fakes.evidence_requests.events) == 1
