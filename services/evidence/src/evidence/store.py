"""The CLI's reads and writes of stored packs: export one for an auditor, request a period's packs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from schemas.envelope import derived_id
from schemas.evidence import PackRequested, PackRequestedData
from schemas.tenant import PLATFORM_TENANT
from service_kit.mongo import build_mongo
from service_kit.publishing import one_shot_publisher

from evidence.adapters import mongo as mongo_names
from evidence.ledger_store import LedgerStore, doc_id
from evidence.pack import archive_name
from evidence.settings import EvidenceSettings
from schemas import topics


async def export_pack(pack_id: str) -> dict[str, bytes]:
    """The archive, its DSSE envelope, inclusion proof, tree head and the platform key, by file name."""
    settings = EvidenceSettings()
    mongo = build_mongo(settings)
    try:
        db = mongo[settings.mongo_db]
        doc = await db[mongo_names.PACKS].find_one({"_id": pack_id})
        if doc is None or "ledger_index" not in doc:
            raise SystemExit(f"no built pack {pack_id}")
        stream = await AsyncGridFSBucket(db, bucket_name=settings.bucket).open_download_stream(pack_id)
        archive = await stream.read()
    finally:
        await mongo.close()
    name = archive_name(pack_id)
    return {
        name: archive,
        f"{name}.dsse.json": json.dumps(doc["envelope"], indent=2).encode(),
        f"{name}.proof.json": json.dumps(doc["proof"], indent=2).encode(),
        f"{name}.tree-head.json": json.dumps(doc["tree_head"], indent=2).encode(),
        "platform-key.pem": settings.platform_key().public_pem().encode(),
    }


async def request_packs(period: str, run_id: str) -> list[str]:
    """Publish PackRequested for every tenant with evidence in `period`; the tenants."""
    settings = EvidenceSettings()
    mongo = build_mongo(settings)
    try:
        tenants = sorted(
            t
            for t in await mongo[settings.mongo_db][mongo_names.ITEMS].distinct("tenant", {"period": period})
            if t != PLATFORM_TENANT
        )  # fmt: skip
    finally:
        await mongo.close()
    async with one_shot_publisher(settings, topics.EVIDENCE_REQUESTS, client="evidence-schedule") as requests:
        now = datetime.now(UTC)
        for tenant in tenants:
            request_id = derived_id(f"schedule/{tenant}/{period}", PackRequested.TYPE)
            data = PackRequestedData(
                pack_request_id=request_id, period=period, requested_by="schedule", requested_at=now
            )
            event = PackRequested.create(
                data=data, source="/services/evidence", tenantid=tenant, time=now, id=f"{request_id}/{run_id}"
            )
            await requests.publish(event)
    return tenants


async def consistency_documents(old_size: int) -> dict[str, dict[str, Any]]:
    """The signed head of `old_size` (as kept), the newest head and the consistency proof between them."""
    settings = EvidenceSettings()
    mongo = build_mongo(settings)
    try:
        db = mongo[settings.mongo_db]
        store = LedgerStore(
            db[mongo_names.LEDGER_ENTRIES],
            db[mongo_names.LEDGER_HEADS],
            settings.platform_key(),
            lambda: datetime.now(UTC),
        )
        new = await store.head()
        old = await db[mongo_names.LEDGER_HEADS].find_one({"_id": doc_id(old_size)})
        if new is None or old is None:
            raise SystemExit(f"no signed head of size {old_size} in the ledger (or the ledger is empty)")
        old.pop("_id")
        proof = await store.prove_consistency(old_size, new["tree_size"])
    finally:
        await mongo.close()
    return {"old-tree-head.json": old, "new-tree-head.json": new, "consistency-proof.json": proof}
