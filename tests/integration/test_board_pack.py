"""The board pack end to end on the real stack: the board and evidence services folding the platform's events,
`board build` asking for the month's pack, the pack checked for completeness, anchored in the evidence ledger,
and verified offline by `board verify` (a flipped byte is caught); a month without sources is refused naming them."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from board.app import build_app as build_board
from board.settings import BoardSettings
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence.app import build_app as build_evidence
from evidence.settings import EvidenceSettings
from fastapi.testclient import TestClient
from portal_api.app import build_app
from portal_api.settings import PortalSettings
from pydantic import SecretStr
from pymongo import MongoClient
from schemas.billing import InvoiceIssued, InvoiceIssuedData, InvoiceLine
from schemas.evidence import PackRequested, PackRequestedData
from schemas.policy import PolicyBundlePublished, PolicyBundlePublishedData
from schemas.sla import ProbeResult, ProbeResultData
from schemas.tenant import TenantProvisioned, TenantProvisionedData
from service_kit.testing.launcher import env_for
from transparency.log import load_public

from schemas import topics
from tests.integration.conftest import KAFKA, MONGO
from tests.integration.portal_support import AUDIENCE, ISSUER, Issuer
from tests.integration.support import eventually, publisher
from tests.integration.test_board import StandIn
from tests.integration.test_evidence import seed_evidence

BIN = Path(sys.executable).parent
NOW = datetime.now(UTC)
PERIOD = NOW.strftime("%Y-%m")


@pytest.fixture
def stand_in():
    portal = StandIn("acme")
    yield portal
    portal.close()


@pytest.fixture
def stack_settings(stand_in):
    run = uuid.uuid4().hex[:10]
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    common: dict[str, Any] = {
        "kafka_bootstrap": KAFKA, "mongo_uri": MONGO, "mongo_db": f"it_{run}", "topic_prefix": f"it-{run}.",
        "handler_max_attempts": 2, "handler_backoff_s": 0.01,
    }  # fmt: skip
    evidence = EvidenceSettings(signing_key=SecretStr(pem.decode()), **common)
    public = evidence.platform_key().public_pem()
    board = BoardSettings(ledger_public_key=public, portal_public_url=stand_in.url, pack_timeout_s=60,
                          revenue_refresh_s=0.5,
                          design_partners={"acme": "signed"}, **common)  # fmt: skip
    return board, evidence, public


@pytest.fixture
def db(stack_settings):
    client: MongoClient = MongoClient(MONGO, tz_aware=True)
    yield client[stack_settings[0].mongo_db]
    client.drop_database(stack_settings[0].mongo_db)
    client.close()


@pytest.fixture
async def services(stack_settings, db):
    board, evidence, _ = stack_settings
    started = [build_evidence(evidence), build_board(board)]
    for service in started:
        await service.start()
    yield started
    for service in reversed(started):
        await service.stop()


async def board_cli(settings: BoardSettings, *args: str) -> subprocess.CompletedProcess[str]:
    """The board CLI as a user runs it, in a thread: the services under test share this event loop."""

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "board"), *args], env=env_for(settings), capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip

    return await asyncio.to_thread(run)


async def seed(settings: EvidenceSettings, db) -> None:
    """A partner, a policy bundle, verdicts, an invoice, probes and the partner's evidence pack for the month."""
    async with publisher(settings, topics.TENANT_EVENTS) as send:
        await seed_evidence(send, db)  # waits for exactly its own seven items: the other events come after
        provisioned = TenantProvisionedData(slug="acme", display_name="Acme", contact_email="ops@acme.example",
                                            plan="standard", cohort="w1", webhook_url="https://h.acme.example/w",
                                            request_id="r", requested_at=NOW, provisioned_at=NOW)  # fmt: skip
        await send(TenantProvisioned.create(data=provisioned, source="/tests", tenantid="acme", time=NOW))
        bundle = PolicyBundlePublishedData(bundle="portal", version="3", sha256="ab" * 32, modules=("a.rego",),
                                           published_at=NOW)  # fmt: skip
        await send(PolicyBundlePublished.create(data=bundle, source="/tests", tenantid="platform", time=NOW),
                   topics.POLICY_EVENTS)  # fmt: skip
        line = InvoiceLine(description="standard plan", quantity=1, unit_price_minor=199000, amount_minor=199000)
        issued_at = NOW - timedelta(minutes=5)
        invoice = InvoiceIssuedData(invoice_id="inv-acme", period=PERIOD, plan="standard", currency="EUR",
                                    lines=(line,), total_minor=199000, issued_at=issued_at)  # fmt: skip
        await send(InvoiceIssued.create(data=invoice, source="/tests", tenantid="acme", time=NOW),
                   topics.BILLING_EVENTS)  # fmt: skip
        for n in range(6):
            at = NOW - timedelta(minutes=3) + timedelta(seconds=10 * n)
            probe = ProbeResultData(target="readyz", url="http://p/readyz", ok=True, status=200, latency_ms=4.0,
                                    probed_at=at, prober="it")  # fmt: skip
            await send(ProbeResult.create(data=probe, source="/tests", tenantid="platform", time=at),
                       topics.SLA_EVENTS)  # fmt: skip
        rid = str(uuid.uuid4())
        request = PackRequestedData(pack_request_id=rid, period=PERIOD, requested_by="aud", requested_at=NOW)
        await send(PackRequested.create(data=request, source="/tests", tenantid="acme", time=NOW, id=rid),
                   topics.EVIDENCE_REQUESTS)  # fmt: skip
    await eventually(lambda: db["board_facts"].count_documents({"kind": "pack-built"}) == 1, timeout=60,
                     what="the evidence pack among the board's facts")  # fmt: skip
    await eventually(lambda: db["board_invoices"].count_documents({}) == 1, what="the invoice folded")


async def test_board_build_checks_anchors_and_writes_a_pack_that_verifies_offline_and_a_flipped_byte_does_not(
    services, stack_settings, db, tmp_path
):
    board, evidence, public = stack_settings
    await seed(evidence, db)
    built = await board_cli(board, "build", "--period", PERIOD, "--out", str(tmp_path))
    assert built.returncode == 0, built.stdout + built.stderr
    assert "FAIL" not in built.stdout and f"board-{PERIOD}.pdf: complete" in built.stdout
    pdf = tmp_path / f"board-{PERIOD}.pdf"
    proof = json.loads((tmp_path / f"board-{PERIOD}.pdf.proof.json").read_text())
    assert proof["entry"]["kind"] == "board-pack" and proof["leaf_index"] == 1  # after the evidence pack
    key = tmp_path / "platform-key.pem"
    key.write_text(public)
    load_public(public)
    ok = await board_cli(board, "verify", str(pdf), "--key", str(key))
    assert ok.returncode == 0 and f"board-{PERIOD}.pdf: VERIFIED" in ok.stdout, ok.stdout + ok.stderr

    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped = tmp_path / "flipped" / pdf.name
    flipped.parent.mkdir()
    flipped.write_bytes(bytes(data))
    for suffix in (".proof.json", ".tree-head.json"):
        (flipped.parent / f"{pdf.name}{suffix}").write_bytes((tmp_path / f"{pdf.name}{suffix}").read_bytes())
    bad = await board_cli(board, "verify", str(flipped), "--key", str(key))
    assert bad.returncode == 1 and "FAIL digest" in bad.stdout and "NOT VERIFIED" in bad.stdout

    again = await board_cli(board, "build", "--period", PERIOD, "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / pdf.name).read_bytes() == pdf.read_bytes()  # the same events, the same bytes
    assert json.loads((tmp_path / "again" / f"{pdf.name}.proof.json").read_text())["leaf_index"] == 1  # anchored once
    event = db["board_packs"].find_one({"state": "built"})
    assert event is not None and event["complete"]


async def test_a_month_without_its_sources_is_refused_naming_each_and_built_only_when_allowed(
    services, stack_settings, db, tmp_path
):
    board, _, _ = stack_settings
    refused = await board_cli(board, "build", "--period", "2025-01", "--out", str(tmp_path))
    assert refused.returncode == 1
    for missing in ("FAIL source: revenue", "FAIL source: sla", "FAIL source: evidence"):
        assert missing in refused.stdout, refused.stdout
    assert "NOT BUILT: incomplete" in refused.stderr
    checked = await board_cli(board, "check", "--period", "2025-01")
    assert checked.returncode == 1 and "FAIL source: partners" in checked.stdout
    allowed = await board_cli(board, "build", "--period", "2025-01", "--out", str(tmp_path), "--allow-incomplete")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "INCOMPLETE" in allowed.stdout and (tmp_path / "board-2025-01.pdf").exists()
    sample = services[1].registry.get_sample_value  # what the BoardPackIncomplete alert reads
    assert sample("trustportal_board_packs_total", {"outcome": "failed"}) == 1
    assert sample("trustportal_board_packs_total", {"outcome": "incomplete"}) == 1


async def test_the_portal_shows_the_pack_platform_revenue_and_payment_status_to_whom_it_may_only(
    services, stack_settings, db, tmp_path
):
    """The built pack in the portal's Board view, its PDF and proof as downloads equal to the CLI's; the platform's
    revenue from the board's report; a partial payment as the tenant's invoice status; none of it for tenant roles."""
    board, evidence, _ = stack_settings
    await seed(evidence, db)
    payments = tmp_path / "payments.csv"
    payments.write_text(f'payment_id,invoice_id,amount,currency,received_at,method\n"p-1",inv-acme,"1000.00",EUR,'
                        f"{(NOW - timedelta(minutes=1)).isoformat()},bank_transfer\n")  # fmt: skip
    imported = await board_cli(board, "payments", "import", str(payments))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    built = await board_cli(board, "build", "--period", PERIOD, "--out", str(tmp_path))
    assert built.returncode == 0, built.stdout + built.stderr
    pdf = (tmp_path / f"board-{PERIOD}.pdf").read_bytes()
    issuer = Issuer()
    settings = PortalSettings(
        kafka_bootstrap=KAFKA, mongo_uri=MONGO, mongo_db=board.mongo_db, onboarding_db=board.mongo_db,
        evidence_db=board.mongo_db, slsa_db=board.mongo_db, board_db=board.mongo_db, topic_prefix=board.topic_prefix,
        jwks_json=issuer.jwks, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, membership_cache_s=0, cookie_secure=False,
    )  # fmt: skip
    issuer.users = db["portal_users"]
    ceo = issuer.bearer("ceo", {}, ["executive"])
    with TestClient(build_app(settings)) as portal:

        def get(path: str, headers: dict[str, str]) -> Any:
            return asyncio.to_thread(portal.get, path, headers=headers)

        async def shown() -> bool:
            packs = (await get("/api/v1/platform/board-packs", ceo)).json()["packs"]
            revenue = (await get(f"/api/v1/platform/revenue?period={PERIOD}", ceo)).json()["report"]
            return bool(packs) and revenue is not None and revenue["collected"] != []

        await eventually(shown, timeout=60, what="the pack and the revenue report with the payment in the portal")
        [pack] = (await get("/api/v1/platform/board-packs", ceo)).json()["packs"]
        assert (pack["period"], pack["state"], pack["complete"]) == (PERIOD, "built", True)
        assert pack["sha256"] == hashlib.sha256(pdf).hexdigest() and pack["ledger_index"] == 1
        base = f"/api/v1/platform/board-packs/{pack['request_id']}/files"
        download = await get(f"{base}/pdf", ceo)
        assert download.status_code == 200 and download.content == pdf
        assert download.headers["content-disposition"] == f'attachment; filename="board-{PERIOD}.pdf"'
        proof = (await get(f"{base}/proof", ceo)).json()
        assert proof == json.loads((tmp_path / f"board-{PERIOD}.pdf.proof.json").read_text())
        report = (await get(f"{base}/completeness", ceo)).json()
        assert report["complete"] and all(c["ok"] for c in report["checks"]) and len(report["checks"]) >= 10

        revenue = (await get(f"/api/v1/platform/revenue?period={PERIOD}", ceo)).json()["report"]
        assert [(m["currency"], m["mrr_minor"]) for m in revenue["mrr"]] == [("EUR", 199000)]
        assert [(c["currency"], c["amount_minor"]) for c in revenue["collected"]] == [("EUR", 100000)]
        assert [(i["kind"], i["invoice_id"]) for i in revenue["issues"]] == [("partial", "inv-acme")]
        page = await get("/ui/platform/board", ceo)
        checks = len(pack["checks"])
        assert (
            page.status_code == 200
            and pack["sha256"] in page.text
            and f"{checks} of {checks} checks passed" in page.text
        )

        finance = issuer.bearer("fin", {"acme": ["finance"]})
        [invoice] = (await get("/api/v1/tenants/acme/finance", finance)).json()["invoices"]
        assert invoice["payment"] == {"status": "partial", "paid_minor": 100000, "due_minor": 99000,
                                      "due_at": invoice["payment"]["due_at"]}  # fmt: skip
        tenant_page = await get("/ui/tenants/acme/finance", finance)
        assert "Partially paid" in tenant_page.text and "€990.00 due by" in tenant_page.text
        ui_pdf = f"/ui/platform/board-packs/{pack['request_id']}/files/pdf"
        for path in ("/api/v1/platform/board-packs", f"{base}/pdf", "/api/v1/platform/revenue",
                     "/ui/platform/board", "/ui/platform/revenue", ui_pdf):  # fmt: skip
            refused = await get(path, finance)
            assert refused.status_code == 403, path
            assert pack["sha256"] not in refused.text and "199" not in refused.text and "%PDF" not in refused.text
