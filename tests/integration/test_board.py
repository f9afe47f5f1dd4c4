"""The board on the real stack (Kafka + FerretDB): invoices and an imported payments file folded into the
revenue report, printed by `board revenue` (a rerun of the import imports nothing twice); the prober process
publishing probe results that `board sla` turns into availability and incidents."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from board.app import build_app
from board.settings import BoardSettings
from pymongo import MongoClient
from schemas.billing import InvoiceIssued, InvoiceIssuedData, InvoiceLine
from service_kit.testing.launcher import env_for, free_port

from schemas import topics
from tests.integration.conftest import KAFKA, MONGO
from tests.integration.support import consumed, eventually, publisher, read_topic

BIN = Path(sys.executable).parent


@pytest.fixture
def board_settings() -> BoardSettings:
    run = uuid.uuid4().hex[:10]
    return BoardSettings(
        kafka_bootstrap=KAFKA, mongo_uri=MONGO, mongo_db=f"it_{run}", topic_prefix=f"it-{run}.",
        handler_max_attempts=2, handler_backoff_s=0.01,
    )  # fmt: skip


@pytest.fixture
def db(board_settings):
    client: MongoClient = MongoClient(MONGO, tz_aware=True)
    yield client[board_settings.mongo_db]
    client.drop_database(board_settings.mongo_db)
    client.close()


@pytest.fixture
async def service(board_settings, db):
    app = build_app(board_settings)
    await app.start()
    yield app
    await app.stop()


def issued(tenant: str, period: str, base: int, overage: int, at: datetime) -> InvoiceIssued:
    lines = (
        InvoiceLine(description="standard plan", quantity=1, unit_price_minor=base, amount_minor=base),
        InvoiceLine(description="api calls", meter="api_calls", quantity=overage, unit_price_minor=1,
                    amount_minor=overage),
    )  # fmt: skip
    data = InvoiceIssuedData(invoice_id=f"inv-{tenant}-{period}", period=period, plan="standard", currency="EUR",
                             lines=lines, total_minor=base + overage, issued_at=at)  # fmt: skip
    return InvoiceIssued.create(data=data, id=data.invoice_id, source="/tests", tenantid=tenant, time=at)


def board(settings: BoardSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "board"), *args], env=env_for(settings), capture_output=True, text=True, timeout=60, check=False
    )


PAYMENTS = """payment_id,invoice_id,amount,currency,received_at,method,reference
pay-1,inv-acme-2026-10,1000.00,EUR,2026-11-05T10:00:00Z,sepa_debit,"ACME, October"
pay-2,inv-nobody,12.00,EUR,2026-11-06,card,
pay-3,inv-acme-2026-10,ten,EUR,2026-11-07,card,
pay-4,inv-globex-2026-10,50.00,USD,2026-11-08,card,
"""


async def test_invoices_and_an_imported_payments_file_become_the_months_revenue_report(board_settings, db, service,
                                                                                       tmp_path):  # fmt: skip
    async with publisher(board_settings, topics.BILLING_EVENTS) as send:
        await send(issued("acme", "2026-10", 199000, 5000, datetime(2026, 11, 1, 6, tzinfo=UTC)))
        await send(issued("acme", "2026-11", 199000, 0, datetime(2026, 12, 1, 6, tzinfo=UTC)))
        await send(issued("globex", "2026-10", 49000, 0, datetime(2026, 11, 1, 6, tzinfo=UTC)))
        await send(issued("globex", "2026-11", 199000, 0, datetime(2026, 12, 1, 6, tzinfo=UTC)))
        await send(b"not an event")
    await eventually(lambda: db["board_invoices"].count_documents({}) == 4, what="the invoices folded")
    export = tmp_path / "payments.csv"
    export.write_text(PAYMENTS)

    first = board(board_settings, "payments", "import", str(export))
    assert first.returncode == 1, first.stderr  # one row refused
    assert "line 4: pay-3: amount: 'ten' is not a decimal amount" in first.stdout
    assert "3 imported (1 for invoices not on record), 0 already imported, 1 refused" in first.stdout
    await eventually(lambda: db["board_payments"].count_documents({}) == 3, what="the payments folded")
    await consumed(board_settings, f"{board_settings.group_id}-billing", topics.BILLING_EVENTS)

    again = board(board_settings, "payments", "import", str(export), "--json")
    outcome = json.loads(again.stdout)
    assert (len(outcome["imported"]), len(outcome["already_imported"])) == (0, 3)

    shown = board(board_settings, "revenue", "--period", "2026-11", "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["as_of"].startswith("2026-12-01T00:00:00")
    (eur,) = report["mrr"]
    assert (eur["mrr_minor"], eur["previous_minor"], eur["expansion_minor"]) == (398000, 248000, 150000)
    assert report["collected"] == [
        {"currency": "EUR", "count": 2, "amount_minor": 101200}, {"currency": "USD", "count": 1, "amount_minor": 5000}
    ]  # fmt: skip
    (aged,) = report["outstanding"]
    assert aged["buckets"] == {"0-30": 204000 - 100000 + 49000, "31-60": 0, "61-90": 0, "90+": 0}
    kinds = sorted((i["kind"], i["payment_id"] or i["invoice_id"]) for i in report["issues"])
    assert kinds == [("currency-mismatch", "pay-4"), ("partial", "inv-acme-2026-10"), ("unmatched", "pay-2")]
    payments = {r.value for r in await read_topic(board_settings, topics.BILLING_EVENTS) if b"payment-received" in
                r.value}  # fmt: skip
    assert len(payments) == 3  # the rerun published nothing
    dead = await read_topic(board_settings, topics.dlq(topics.BILLING_EVENTS))
    assert [r.value for r in dead] == [b"not an event"]

    csv_out = board(board_settings, "revenue", "--period", "2026-11", "--csv")
    assert csv_out.stdout.splitlines()[0].startswith("period,tenant,plan,currency,mrr_minor")
    assert "2026-11,globex,standard,EUR,199000,49000,expansion" in csv_out.stdout
    table = board(board_settings, "revenue", "--period", "2026-11")
    assert "€3,980.00" in table.stdout and "Reconciliation" in table.stdout


class StandIn:
    """A portal stand-in on loopback: /readyz and one tenant's overview, healthy until told otherwise."""

    def __init__(self, tenant: str) -> None:
        self.status = 200
        self.keys: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.keys.append(self.headers.get("authorization", ""))
                body = json.dumps({"tenant": tenant} if "overview" in self.path else {"status": "ready"}).encode()
                self.send_response(stand_in.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_the_prober_process_publishes_what_it_sees_and_an_outage_becomes_an_incident_in_board_sla(
    board_settings, db, service, tmp_path
):
    stand_in = StandIn("probe-co")
    key = "tp_probekey_" + "s" * 32
    env = env_for(board_settings, BOARD_PORTAL_URL=stand_in.url, BOARD_PROBE_TENANT="probe-co",
                  BOARD_PROBE_API_KEY=key, BOARD_PROBE_INTERVAL_S="0.2", BOARD_PROBER_ID="it-prober",
                  BOARD_PROBE_HTTP_PORT=str(free_port()))  # fmt: skip
    log = tmp_path / "prober.log"
    with log.open("wb") as out:
        prober = await asyncio.create_subprocess_exec(str(BIN / "board"), "probe", env=env, stdout=out, stderr=out)
    try:
        hours = db["board_probe_hours"]

        def probes() -> int:
            return sum(d["count"] for d in hours.find({}))

        await eventually(lambda: probes() >= 6, timeout=60, what=f"probes folded (prober log: {log})")
        stand_in.status = 503
        before = probes()
        await eventually(lambda: probes() >= before + 6, timeout=30, what="probes during the outage")
        stand_in.status = 200
        during = probes()
        await eventually(lambda: probes() >= during + 6, timeout=30, what="probes after the outage")
    finally:
        prober.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why it stopped.
        assert await asyncio.wait_for(prober.wait(), 20) in (0, -signal.SIGTERM), log.read_text()
        stand_in.close()
    assert "Application shutdown complete" in log.read_text()
    assert "HTTP Request" not in log.read_text()  # one line per probe would drown the logs
    assert set(stand_in.keys) == {"", f"Bearer {key}"}
    assert key not in log.read_text()
    month = datetime.now(UTC).strftime("%Y-%m")
    shown = board(board_settings, "sla", "--period", month, "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["bad_minutes"] >= 1 and report["state"] == "breached"
    assert report["failed_probes"] >= 6
    incident = report["incidents"][0]
    assert incident["first_error"] == "status 503" and set(incident["targets"]) == {"readyz", "tenant-read"}
    assert not incident["ongoing"]
    assert {t["target"]: t["probes"] > 0 for t in report["targets"]} == {"readyz": True, "tenant-read": True}
    table = board(board_settings, "sla", "--period", month)
    assert "breached" in table.stdout and "status 503" in table.stdout
