"""The CLI's reads and writes: the reports, a requested board pack, its completeness, importing payments."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from gridfs import AsyncGridFSBucket
from schemas.board import BoardPackRequested, BoardPackRequestedData, Check
from schemas.revenue import RevenueReport
from schemas.tenant import PLATFORM_TENANT
from service_kit.mongo import build_mongo
from service_kit.periods import Period
from service_kit.publishing import one_shot_publisher

from board.adapters import mongo as mongo_names
from board.links import PortalLinks
from board.pack import board_pack
from board.payments import PaymentsFile, payment_event_id, to_event
from board.revenue import revenue_report
from board.settings import BoardSettings
from board.sla import SlaReport, sla_report
from board.sources import StoredSources
from board.windows import Window
from schemas import topics


async def load_revenue(settings: BoardSettings, month: Period, now: datetime) -> RevenueReport:
    """The revenue report of `month` from what the board has folded."""
    mongo = build_mongo(settings)
    try:
        stored = StoredSources(mongo[settings.mongo_db])
        invoices, payments = await stored.invoices(), await stored.payments()
    finally:
        await mongo.close()
    return revenue_report(invoices, payments, month, now, terms_days=settings.payment_terms_days)


async def request_pack(settings: BoardSettings, period: str, *, allow_incomplete: bool, by: str) -> dict[str, Any]:
    """Ask the board service for a pack (BoardPackRequested) and wait for its outcome; the packs document.

    Returns the document once it is built or failed; {"state": "timeout"} when the service did not answer
    within BOARD_PACK_TIMEOUT_S. A built document carries the PDF under "pdf".
    """
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    event = BoardPackRequested.create(
        data=BoardPackRequestedData(request_id=request_id, period=period, requested_by=by, requested_at=now,
                                    allow_incomplete=allow_incomplete),
        source="/services/board/cli", tenantid=PLATFORM_TENANT, time=now,
    )  # fmt: skip
    async with one_shot_publisher(settings, topics.BOARD_REQUESTS, client="board-build") as requests:
        await requests.publish(event)
    mongo = build_mongo(settings)
    try:
        db = mongo[settings.mongo_db]
        deadline = time.monotonic() + settings.pack_timeout_s
        while time.monotonic() < deadline:
            doc = await db[mongo_names.PACKS].find_one({"_id": request_id})
            if doc is not None and doc["state"] == "built":
                stream = await AsyncGridFSBucket(db, bucket_name=mongo_names.PACK_BUCKET).open_download_stream(
                    doc["sha256"]
                )
                return {**doc, "pdf": await stream.read()}
            if doc is not None and doc["state"] == "failed":
                return doc
            await asyncio.sleep(0.05)
    finally:
        await mongo.close()
    return {"_id": request_id, "state": "timeout"}


async def check_pack(settings: BoardSettings, window: Window) -> list[Check]:
    """The completeness check of `window`'s pack, as a build would run it."""
    mongo = build_mongo(settings)
    try:
        found = await StoredSources(mongo[settings.mongo_db])(window)
    finally:
        await mongo.close()
    pack = board_pack(window, found, settings.pack_settings())
    async with httpx.AsyncClient(timeout=5.0) as client:
        return await settings.completeness(PortalLinks(client, settings.portal_public_url)).run(pack, found.facts)


async def load_sla(settings: BoardSettings, month: Period, now: datetime) -> SlaReport:
    """The SLA report of `month` from the probe results the board has folded."""
    mongo = build_mongo(settings)
    try:
        probes = await StoredSources(mongo[settings.mongo_db]).probes(month.start, month.end)
    finally:
        await mongo.close()
    return sla_report(probes, month, now)


async def import_payments(settings: BoardSettings, parsed: PaymentsFile, now: datetime) -> dict[str, Any]:
    """Publish each row not imported before as PaymentReceived on billing.events.v1; what happened to each row.

    A row whose event (derived from its content) the board already holds is reported as already
    imported and not sent again; the tenant of each payment is its invoice's, when the invoice is known.
    """
    mongo = build_mongo(settings)
    try:
        db = mongo[settings.mongo_db]
        ids = [payment_event_id(row.data) for row in parsed.rows]
        known = {d["_id"] async for d in db[mongo_names.PAYMENTS].find({"_id": {"$in": ids}}, {"_id": 1})}
        invoice_ids = sorted({row.data.invoice_id for row in parsed.rows})
        tenants = {
            d["_id"]: d["tenant"]
            async for d in db[mongo_names.INVOICES].find({"_id": {"$in": invoice_ids}}, {"tenant": 1})
        }
    finally:
        await mongo.close()
    imported: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    async with one_shot_publisher(settings, topics.BILLING_EVENTS, client="board-payments-import") as billing:
        for row, event_id in zip(parsed.rows, ids, strict=True):
            entry = {"line": row.line, "payment_id": row.data.payment_id, "invoice_id": row.data.invoice_id}
            if event_id in known:
                skipped.append(entry)
                continue
            await billing.publish(to_event(row, tenants.get(row.data.invoice_id), now))
            imported.append({**entry, "invoice_known": row.data.invoice_id in tenants})
    return {
        "imported": imported,
        "already_imported": skipped,
        "errors": [{"line": e.line, "payment_id": e.payment_id, "reason": e.reason} for e in parsed.errors],
        "warnings": parsed.warnings,
    }
