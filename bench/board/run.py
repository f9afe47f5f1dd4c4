"""Benchmark: the board folding a year of billing and a month of probes from Kafka, then building its pack.

The board and evidence services run as deployed (their console scripts, one process each) on the local
stack. Once the board's consumers are in their groups, this script publishes 50 tenants x 12 months of
billing events (an invoice, a payment and daily usage batches per tenant and month) and a month of
probe results at one probe every 10 s per target (two targets), and times them until the board has
folded the last of each (events/s folded). Then it asks for the month's board pack and times it from
the request to a PDF checked for completeness, anchored in the evidence ledger and verified offline
here (build time). Baseline, same run: the Typst compile of the same document alone, in this process.

    make bench-board       (or: uv run python bench/board/run.py)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from board.adapters import mongo as board_names
from board.pack import board_pack
from board.render import render
from board.settings import BoardSettings
from board.sources import StoredSources
from board.store import request_pack
from board.verify import verify_board_pack
from board.windows import window
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence.settings import EvidenceSettings
from pydantic import SecretStr
from pymongo import AsyncMongoClient, MongoClient
from schemas.billing import (
    InvoiceIssued,
    InvoiceIssuedData,
    InvoiceLine,
    PaymentReceived,
    PaymentReceivedData,
    UsageRecorded,
    UsageRecordedData,
)
from schemas.envelope import CloudEvent
from schemas.evidence import PackRequested, PackRequestedData
from schemas.policy import PolicyBundlePublished, PolicyBundlePublishedData
from schemas.provenance import ProvenanceVerified, ProvenanceVerifiedData
from schemas.sla import ProbeResult, ProbeResultData
from schemas.tenant import (
    PLATFORM_TENANT,
    TenantOnboarded,
    TenantOnboardedData,
    TenantProvisioned,
    TenantProvisionedData,
)
from service_kit.periods import Period
from service_kit.publishing import event_headers
from service_kit.testing.launcher import ServiceProcess, env_for, free_port
from transparency.log import load_public

from schemas import topics

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results/board.json"
TARGET_FOLDED = 20_000.0
TARGET_BUILD_S = 5.0
TARGETS = ("readyz", "tenant-read")
PLANS = (("starter", 490_00), ("standard", 1_990_00), ("growth", 4_990_00), ("enterprise", 8_900_00))


class Portal(BaseHTTPRequestHandler):
    """The portal's pages as the completeness check follows its links: every page answers 200."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_HEAD = do_GET

    def log_message(self, *_: Any) -> None:
        return None


def billing(tenants: list[str], months: list[Period]) -> list[CloudEvent]:
    """A year of each tenant's billing: daily usage batches, the month's invoice (in arrears) and its payment."""
    events: list[CloudEvent] = []
    for n, tenant in enumerate(tenants):
        plan, fee = PLANS[(n + len(months)) % len(PLANS)]
        for m, month in enumerate(months):
            if m and n % 7 == m % 7:  # some tenants move plan now and then: expansions and contractions
                plan, fee = PLANS[(PLANS.index((plan, fee)) + 1) % len(PLANS)]
            for day in range(30):
                at = month.start + timedelta(days=day, hours=23)
                if at >= month.end:
                    break
                usage = UsageRecordedData(
                    meter="api_calls", quantity=3_000 + n * 17 + day, period=str(month),
                    window_start=at - timedelta(days=1), window_end=at, recorded_by="api-1",
                )  # fmt: skip
                events.append(UsageRecorded.create(data=usage, source="/services/portal-api", tenantid=tenant, time=at))
            issued = month.end + timedelta(hours=6)
            lines = (InvoiceLine(description=f"{plan} plan, {month}", quantity=1, unit_price_minor=fee,
                                 amount_minor=fee),
                     InvoiceLine(description="api calls beyond 100,000 included", meter="api_calls",
                                 quantity=100_000 + n * 500, included=100_000, unit_price_minor=1,
                                 amount_minor=n * 500))  # fmt: skip
            invoice_id = f"inv-{tenant}-{month}"
            data = InvoiceIssuedData(invoice_id=invoice_id, period=str(month), plan=plan, currency="EUR",
                                     lines=lines, total_minor=fee + n * 500, issued_at=issued)  # fmt: skip
            events.append(InvoiceIssued.create(data=data, source="/services/portal-api", tenantid=tenant, time=issued))
            paid = PaymentReceivedData(
                payment_id=f"pay-{tenant}-{month}", invoice_id=invoice_id, currency="EUR", method="bank_transfer",
                amount_minor=fee + n * 500 if n % 10 else fee, received_at=issued + timedelta(days=3 + n % 20),
            )  # fmt: skip
            events.append(PaymentReceived.create(data=paid, source="/services/board/payments-import", tenantid=tenant,
                                                 time=paid.received_at))  # fmt: skip
    return events


def probes(month: Period) -> list[CloudEvent]:
    """A month of probe results, one every 10 s per target, with a 20-minute outage in the middle of it."""
    events: list[CloudEvent] = []
    outage = (month.start + timedelta(days=12, hours=3), month.start + timedelta(days=12, hours=3, minutes=20))
    at = month.start
    while at < month.end:
        for target in TARGETS:
            ok = not outage[0] <= at < outage[1]
            data = ProbeResultData(target=target, url=f"https://portal.example/{target}", ok=ok,
                                   status=200 if ok else 503, latency_ms=12.0 + (at.second % 7),
                                   error=None if ok else "status 503", probed_at=at, prober="bench")  # fmt: skip
            events.append(ProbeResult.create(data=data, source="/services/board/prober", tenantid=PLATFORM_TENANT,
                                             time=at))  # fmt: skip
        at += timedelta(seconds=10)
    return events


def facts(tenants: list[str], month: Period) -> list[tuple[CloudEvent, str]]:
    """Each tenant onboarded, with releases verified in the month; the policy bundle in force."""
    out: list[tuple[CloudEvent, str]] = []
    at = month.start + timedelta(days=2)
    bundle = PolicyBundlePublishedData(bundle="portal", version="3", sha256="ab" * 32, modules=("authz.rego",),
                                       published_at=month.start)  # fmt: skip
    out.append((PolicyBundlePublished.create(data=bundle, source="/services/portal-api", tenantid=PLATFORM_TENANT,
                                             time=month.start), topics.POLICY_EVENTS))  # fmt: skip
    for n, tenant in enumerate(tenants):
        provisioned = TenantProvisionedData(
            slug=tenant, display_name=tenant.title(), contact_email=f"ops@{tenant}.example", plan="standard",
            cohort=f"wave-{n // 10 + 1}", webhook_url=f"https://hooks.{tenant}.example/trust", request_id=f"r-{tenant}",
            requested_at=month.start, provisioned_at=month.start + timedelta(days=1),
        )  # fmt: skip
        out.append((TenantProvisioned.create(data=provisioned, source="/services/onboarding", tenantid=tenant,
                                             time=provisioned.provisioned_at), topics.TENANT_EVENTS))  # fmt: skip
        onboarded = TenantOnboardedData(slug=tenant, cohort=f"wave-{n // 10 + 1}", requested_at=month.start,
                                        onboarded_at=at, time_to_first_verify_s=30.0 + n)  # fmt: skip
        out.append((TenantOnboarded.create(data=onboarded, source="/services/onboarding", tenantid=tenant, time=at),
                    topics.TENANT_EVENTS))  # fmt: skip
        for r in range(4):
            verified = ProvenanceVerifiedData(
                submission_id=str(uuid.uuid4()), repo=f"github.com/{tenant}/svc-{r}", artifact_name=f"svc-{r}.tar",
                artifact_sha256=hashlib.sha256(f"{tenant}{r}".encode()).hexdigest(),
                builder_id="https://github.com/slsa-framework/slsa-github-generator",
                source_repo=f"github.com/{tenant}/svc-{r}",
                source_ref="refs/tags/v1", build_level=3 if r < 2 else 2, hermetic=True, dependencies_pinned=True,
                signed_by="release", policy_id="p1", verified_at=at + timedelta(days=r),
            )  # fmt: skip
            out.append((ProvenanceVerified.create(data=verified, source="/services/slsa-watch", tenantid=tenant,
                                                  time=verified.verified_at), topics.PROVENANCE_EVENTS))  # fmt: skip
    return out


async def send_all(settings: BoardSettings, batches: list[tuple[str, list[CloudEvent]]]) -> float:
    """Publish every event (serialized beforehand) as fast as the producer takes them; when the first went out."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=20,
                                max_batch_size=512 * 1024, compression_type=None)  # fmt: skip
    await producer.start()
    ready = [(settings.topic(topic), e.to_json(), e.tenantid.encode(),
              [(k, v.encode()) for k, v in event_headers(e).items()])
             for topic, events in batches for e in events]  # fmt: skip
    started = time.perf_counter()
    try:
        pending = []
        for topic, value, key, headers in ready:
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return started


async def folded(db: Any, invoices: int, payments: int, last_keys: list[str]) -> None:
    """Until the board holds every invoice and payment, and the last probe of each target.

    The probes are one partition in order, so the document holding each target's last probe (its
    key ends with that probe's id) comes last.
    """
    while True:
        last = [await db[board_names.PROBE_HOURS].find_one({"_id": key}, {"_id": 1}) for key in last_keys]
        if all(found is not None for found in last):
            got_i = await db[board_names.INVOICES].count_documents({})
            got_p = await db[board_names.PAYMENTS].count_documents({})
            if got_i >= invoices and got_p >= payments:
                return
        await asyncio.sleep(0.05)


async def first_kept(db: Any) -> float:
    """When the board kept its first document of probes."""
    while True:
        if await db[board_names.PROBE_HOURS].find_one({}, {"_id": 1}) is not None:
            return time.perf_counter()
        await asyncio.sleep(0.02)


async def wait_for(what: str, check: Any, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench-board: timed out waiting for {what}")
        await asyncio.sleep(0.1)


class Restartable:
    """The board's process, stopped and started again between the two parts of the run."""

    def __init__(self, settings: BoardSettings, log: Path) -> None:
        self.settings, self.log = settings, log
        self.proc: ServiceProcess | None = None

    def start(self) -> None:
        self.proc = ServiceProcess(env_for(self.settings), self.log, port=free_port(), command="board",
                                   port_env="BOARD_HTTP_PORT").start(timeout_s=60)  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


async def scenario(board: BoardSettings, tenants: list[str], months: list[Period], key: ed25519.Ed25519PublicKey,
                   restart: Restartable) -> dict[str, Any]:  # fmt: skip
    month = months[-1]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(board.mongo_uri, tz_aware=True)
    db = mongo[board.mongo_db]
    try:
        # The facts and evidence packs the pack reports on (not timed): each tenant onboarded, the month's pack.
        await send_all(board, [(topic, [event]) for event, topic in facts(tenants, month)])
        requests: list[CloudEvent] = [
            PackRequested.create(
                data=PackRequestedData(pack_request_id=str(uuid.uuid4()), period=str(month), requested_by="bench",
                                       requested_at=month.end),
                source="/services/portal-api", tenantid=t, time=month.end,
            )
            for t in tenants
        ]  # fmt: skip

        async def facts_in() -> bool:
            return await db[board_names.FACTS].count_documents({"kind": "tenant-onboarded"}) >= len(tenants)

        async def items_in() -> bool:  # the evidence service collects the same facts: 6 per tenant
            return await db["evidence_items"].count_documents({}) >= 6 * len(tenants)

        await wait_for("the board to keep the onboarding facts", facts_in)
        await wait_for("the evidence service to collect them", items_in)
        await send_all(board, [(topics.EVIDENCE_REQUESTS, requests)])

        async def packs_in() -> bool:
            return await db[board_names.FACTS].count_documents({"kind": "pack-built"}) >= len(tenants)

        await wait_for("the tenants' evidence packs", packs_in, timeout_s=300)

        # Timed: a year of billing and a month of probes in Kafka, folded by the board. The board is stopped
        # while they are published (the producer would take the CPU it folds with on this 2-core machine)
        # and started again on them: folded from its first document kept to the last event.
        bills, probed = billing(tenants, months), probes(month)
        invoices = sum(1 for e in bills if isinstance(e, InvoiceIssued))
        payments = sum(1 for e in bills if isinstance(e, PaymentReceived))
        hour = (month.end - timedelta(hours=1)).strftime("%Y-%m-%dT%H")
        last_keys = [f"{t}/{hour}/{[e for e in probed if e.data.target == t][-1].id}" for t in TARGETS]
        await asyncio.to_thread(restart.stop)
        t0 = await send_all(board, [(topics.BILLING_EVENTS, bills), (topics.SLA_EVENTS, probed)])
        produce_s = time.perf_counter() - t0
        started = time.perf_counter()
        first = asyncio.create_task(first_kept(db))
        await asyncio.to_thread(restart.start)
        await folded(db, invoices, payments, last_keys)
        done = time.perf_counter()
        fold_s, from_start_s = done - await first, done - started

        # Timed: the pack from its request to a verified, ledgered PDF.
        started = time.perf_counter()
        outcome = await request_pack(board, str(month), allow_incomplete=False, by="bench")
        if outcome.get("state") != "built":
            raise SystemExit(f"bench-board: the pack was not built: {outcome.get('reason', outcome.get('state'))}")
        checks = verify_board_pack(outcome["pdf"], outcome["file_name"], outcome["proof"], outcome["tree_head"], key)
        build_s = time.perf_counter() - started
        if not all(c.ok for c in checks):
            raise SystemExit(f"bench-board: the pack does not verify: {[c for c in checks if not c.ok]}")

        # Baseline: the Typst compile of the same document alone (its sources read and assembled beforehand).
        span = window(str(month))
        pack = board_pack(span, await StoredSources(db)(span), board.pack_settings())
        typst_s = []
        for _ in range(3):
            t0 = time.perf_counter()
            pdf = render(pack)
            typst_s.append(time.perf_counter() - t0)
        if pdf != outcome["pdf"]:
            raise SystemExit("bench-board: the baseline's document is not the built pack's")
        return {
            "events": len(bills) + len(probed), "billing_events": len(bills), "probe_results": len(probed),
            "fold_s": fold_s, "fold_from_start_s": from_start_s, "produce_s": produce_s, "build_s": build_s,
            "typst_s": statistics.median(typst_s), "pdf_bytes": len(pdf),
            "checks": len(outcome["checks"]), "ledger_index": outcome["ledger_index"],
        }  # fmt: skip
    finally:
        await mongo.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the database (to look into a build)")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    common: dict[str, Any] = {"mongo_db": f"bench_{run}", "topic_prefix": f"bench-{run}.", "log_level": "WARNING"}
    evidence = EvidenceSettings(signing_key=SecretStr(pem), **common)
    public = evidence.platform_key().public_pem()
    portal = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    board = BoardSettings(ledger_public_key=public, portal_public_url=f"http://127.0.0.1:{portal.server_port}",
                          revenue_refresh_s=3600, pack_timeout_s=120, **common)  # fmt: skip
    current = Period.month_of(datetime.now(UTC))
    months = [current]
    for _ in range(args.months):
        months.insert(0, Period.month_of(months[0].start - timedelta(days=1)))
    months = months[:-1]  # the last twelve full months; the pack is of the newest
    tenants = [f"tenant-{i:02d}" for i in range(args.tenants)]
    logs = ROOT / ".local/bench"
    logs.mkdir(parents=True, exist_ok=True)
    service = ServiceProcess(env_for(evidence), logs / "evidence.log", port=free_port(), command="evidence",
                             port_env="EVIDENCE_HTTP_PORT").start(timeout_s=60)  # fmt: skip
    restart = Restartable(board, logs / "board.log")
    restart.start()
    try:
        result = asyncio.run(scenario(board, tenants, months, load_public(public), restart))
    finally:
        restart.stop()
        service.stop()
        portal.shutdown()
        if args.keep:
            print(f"kept database {board.mongo_db} and topics {board.topic_prefix}*")
        else:
            with MongoClient(board.mongo_uri) as mongo:
                mongo.drop_database(board.mongo_db)

    rate = result["events"] / result["fold_s"]
    print(f"\nboard: {args.tenants} tenants x {args.months} months of billing ({result['billing_events']:,} events) "
          f"and a month of probes every 10 s per target ({result['probe_results']:,} results), "
          "folded from Kafka")  # fmt: skip
    print(f"  folded: {rate:,.0f} events/s ({result['events']:,} in {result['fold_s']:.1f} s from the first document "
          f"kept to the last event; {result['fold_from_start_s']:.1f} s from the process start; "
          f"target >= {TARGET_FOLDED:,.0f}/s); published beforehand in {result['produce_s']:.1f} s")  # fmt: skip
    print(f"  board pack {months[-1]}: request to a verified, ledgered PDF in {result['build_s']:.2f} s "
          f"(target <= {TARGET_BUILD_S:.0f} s); {result['checks']} completeness checks, ledger index "
          f"{result['ledger_index']}, {result['pdf_bytes'] / 1024:,.0f} KiB")  # fmt: skip
    print(f"  baseline Typst compile of the same document alone: {result['typst_s']:.2f} s; "
          f"ratio build / Typst: {result['build_s'] / result['typst_s']:.2f}")  # fmt: skip
    out = {"at": datetime.now(UTC).isoformat(), "tenants": args.tenants, "months": args.months,
           "events_per_s_folded": rate, **result}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    met = rate >= TARGET_FOLDED and result["build_s"] <= TARGET_BUILD_S
    print(f"  targets {'met' if met else 'NOT met'}; results in {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
