"""Building a requested pack: gather, pack, sign, store (GridFS), append to the ledger, announce.

A pack is claimed by its id before it is appended, so two builders never record the same pack twice:
a builder that finds a fresh claim by another leaves the request for redelivery; a stale claim (its
builder died) is taken over. A pack already built is announced again, not rebuilt.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import FileExists
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from schemas.envelope import derived_id
from schemas.evidence import PackBuilt, PackBuiltData, PackFailed, PackFailedData, PackRequested
from schemas.tenant import PLATFORM_TENANT

from evidence.errors import PackInProgressError
from evidence.item_log import ItemLog
from evidence.ledger_store import LedgerStore
from evidence.metrics import EvidenceMetrics
from evidence.pack import Pack, archive_name, build
from evidence.signing import PlatformKey

SOURCE = "/services/evidence"
CLAIM_TTL = timedelta(seconds=60)
Outcome = PackBuilt | PackFailed


@dataclass
class Builder:
    """Everything building a pack touches."""

    items: ItemLog
    packs: AsyncCollection[dict[str, Any]]
    bucket: AsyncGridFSBucket
    ledger: LedgerStore
    key: PlatformKey
    metrics: EvidenceMetrics
    clock: Callable[[], datetime]

    async def build(self, request: PackRequested) -> Outcome:
        """The outcome of one request."""
        began = time.perf_counter()
        tenant, period = request.tenantid, request.data.period
        found = [*await self.items.read(tenant, period), *await self.items.read(PLATFORM_TENANT, period)]
        if not any(i.tenant == tenant for i in found):
            return self.failed(request, f"no evidence of {tenant} in {period} yet")
        pack = build(tenant, period, [i.item() for i in found if i.kind in request.data.scope])
        doc = await self.packs.find_one({"_id": pack.pack_id})
        if doc is None or "ledger_index" not in doc:
            doc = await self.record(pack)
        outcome = self.built(request, doc)
        self.metrics.observe(outcome, time.perf_counter() - began)
        return outcome

    async def record(self, pack: Pack) -> dict[str, Any]:
        """Claim, store, sign and append one pack; its document."""
        now = self.clock()
        try:
            await self.packs.insert_one({"_id": pack.pack_id, "claimed_at": now})
        except DuplicateKeyError:
            claim = await self.packs.find_one({"_id": pack.pack_id})
            if claim is not None and "ledger_index" in claim:
                return claim
            if claim is not None and now - claim["claimed_at"] < CLAIM_TTL:
                raise PackInProgressError(f"pack {pack.pack_id} is being built by another process") from None
        with contextlib.suppress(FileExists):  # a builder that died after storing it
            await self.bucket.upload_from_stream_with_id(
                pack.pack_id, archive_name(pack.pack_id), pack.archive, metadata={"tenant": pack.tenant}
            )
        [index], head = await self.ledger.append([pack.ledger_entry()])
        proof = await self.ledger.prove(index, head["tree_size"])
        doc = {
            "tenant": pack.tenant,
            "period": pack.period,
            "sha256": pack.sha256,
            "size": len(pack.archive),
            "item_count": pack.item_count,
            "manifest_sha256": pack.manifest_sha256,
            "ledger_index": index,
            "envelope": self.key.envelope(pack.statement()),
            "proof": proof,
            "tree_head": head,
            "built_at": self.clock(),
        }
        await self.packs.update_one({"_id": pack.pack_id}, {"$set": doc})
        return {"_id": pack.pack_id, **doc}

    def built(self, request: PackRequested, doc: dict[str, Any]) -> PackBuilt:
        """PackBuilt for a request answered by the pack in `doc`."""
        now = self.clock()
        data = PackBuiltData(
            pack_id=doc["_id"],
            pack_request_id=request.data.pack_request_id,
            period=doc["period"],
            sha256=doc["sha256"],
            size=doc["size"],
            item_count=doc["item_count"],
            ledger_index=doc["ledger_index"],
            tree_size=doc["tree_head"]["tree_size"],
            root_hash=doc["tree_head"]["root_hash"],
            built_at=doc["built_at"],
            time_to_pack_s=max(0.0, (now - request.data.requested_at).total_seconds()),
            signature=doc["envelope"],
            inclusion_proof=doc["proof"],
            tree_head=doc["tree_head"],
        )
        return PackBuilt.create(
            data=data, source=SOURCE, tenantid=request.tenantid, time=now,
            id=derived_id(request.id, "io.trustportal.evidence.pack-outcome.v1"),
        )  # fmt: skip

    def failed(self, request: PackRequested, reason: str) -> PackFailed:
        """PackFailed, saying why."""
        now = self.clock()
        self.metrics.failed.inc()
        data = PackFailedData(
            pack_request_id=request.data.pack_request_id, period=request.data.period, reason=reason, failed_at=now
        )
        return PackFailed.create(
            data=data, source=SOURCE, tenantid=request.tenantid, time=now,
            id=derived_id(request.id, "io.trustportal.evidence.pack-outcome.v1"),
        )  # fmt: skip
