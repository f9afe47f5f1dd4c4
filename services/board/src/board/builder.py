"""Building a requested board pack: render it, keep it, have its digest anchored in the ledger, announce it.

A BoardPackRequested is answered in two steps, each by an event: the PDF is rendered from the board's
projections, stored (GridFS bucket `board_packs`, file id = its sha256) and recorded as *anchoring*
while AnchorRequested goes to the evidence service; when the evidence service's Anchored comes back,
the pack takes its ledger index, inclusion proof and signed tree head and BoardPackBuilt is announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import FileExists
from pymongo.asynchronous.collection import AsyncCollection
from schemas.board import (
    BoardPackBuilt,
    BoardPackBuiltData,
    BoardPackFailed,
    BoardPackFailedData,
    BoardPackRequested,
    Check,
)
from schemas.envelope import derived_id
from schemas.evidence import AnchorRequested, AnchorRequestedData
from schemas.tenant import PLATFORM_TENANT

from board.completeness import Completeness
from board.facts import Fact
from board.metrics import PackMetrics
from board.pack import PackSettings, Sources, board_pack
from board.render import render
from board.windows import Window, window

SOURCE = "/services/board"


def file_name(period: str) -> str:
    """The board pack's file name."""
    return f"board-{period}.pdf"


@dataclass
class PackBuilder:
    """Everything building a board pack touches."""

    packs: AsyncCollection[dict[str, Any]]
    bucket: AsyncGridFSBucket
    sources: Callable[[Window], Awaitable[Sources]]
    config: PackSettings
    completeness: Completeness
    clock: Callable[[], datetime]
    metrics: PackMetrics | None = None

    async def start(self, request: BoardPackRequested) -> AnchorRequested | BoardPackFailed:
        """Render and keep the pack; the anchor request for its digest, or why it was not built."""
        data = request.data
        span = window(data.period)
        found = await self.sources(span)
        pack = await asyncio.to_thread(board_pack, span, found, self.config)  # CPU work off the event loop
        checks = await self.completeness.run(pack, found.facts)
        failed = [c for c in checks if not c.ok]
        if failed and not data.allow_incomplete:
            reason = "incomplete: " + "; ".join(f"{c.name}: {c.detail}" for c in failed)
            await self.packs.replace_one(
                {"_id": data.request_id},
                {"_id": data.request_id, "state": "failed", "period": data.period, "reason": reason,
                 "checks": [c.model_dump() for c in checks], "requested_at": data.requested_at},
                upsert=True,
            )  # fmt: skip
            return self.failed(request, reason, checks)
        pdf = await asyncio.to_thread(render, pack, incomplete=bool(failed))
        sha = hashlib.sha256(pdf).hexdigest()
        name = file_name(data.period)
        with contextlib.suppress(FileExists):  # the same pack again: the same bytes
            await self.bucket.upload_from_stream_with_id(sha, name, pdf, metadata={"period": data.period})
        await self.packs.replace_one(
            {"_id": data.request_id},
            {"_id": data.request_id, "state": "anchoring", "period": data.period, "file_name": name, "sha256": sha,
             "size": len(pdf), "complete": not failed, "checks": [c.model_dump() for c in checks],
             "requested_at": data.requested_at, "requested_by": data.requested_by},
            upsert=True,
        )  # fmt: skip
        anchor = AnchorRequestedData(
            anchor_id=data.request_id, kind="board-pack", subject=name, sha256=sha, requested_at=self.clock()
        )
        return AnchorRequested.create(
            data=anchor, source=SOURCE, tenantid=PLATFORM_TENANT, time=self.clock(),
            id=derived_id(request.id, AnchorRequested.TYPE),
        )  # fmt: skip

    async def anchored(self, fact: Fact) -> BoardPackBuilt | None:
        """BoardPackBuilt for the pack whose digest the ledger now holds (None: not a board pack of ours)."""
        if fact.kind != "anchored" or fact.data.get("kind") != "board-pack":
            return None
        doc = await self.packs.find_one({"_id": str(fact.data["anchor_id"])})
        if doc is None or doc["sha256"] != fact.data["sha256"]:
            return None
        update = {"state": "built", "ledger_index": fact.data["ledger_index"], "proof": fact.data["inclusion_proof"],
                  "tree_head": fact.data["tree_head"], "built_at": fact.at}  # fmt: skip
        await self.packs.update_one({"_id": doc["_id"]}, {"$set": update})
        doc = {**doc, **update}
        if self.metrics is not None:
            self.metrics.built(complete=doc["complete"])
        data = BoardPackBuiltData(
            request_id=doc["_id"], period=doc["period"], file_name=doc["file_name"], sha256=doc["sha256"],
            size=doc["size"], complete=doc["complete"], checks=tuple(Check(**c) for c in doc["checks"]),
            ledger_index=doc["ledger_index"], inclusion_proof=doc["proof"], tree_head=doc["tree_head"],
            built_at=doc["built_at"],
        )  # fmt: skip
        return BoardPackBuilt.create(
            data=data, source=SOURCE, tenantid=PLATFORM_TENANT, time=self.clock(),
            id=derived_id(fact.id, BoardPackBuilt.TYPE),
        )  # fmt: skip

    def failed(self, request: BoardPackRequested, reason: str, checks: list[Check]) -> BoardPackFailed:
        """BoardPackFailed naming what failed (and the packs document says so too, for the CLI waiting on it)."""
        if self.metrics is not None:
            self.metrics.failed()
        data = BoardPackFailedData(
            request_id=request.data.request_id, period=request.data.period, reason=reason, checks=tuple(checks),
            failed_at=self.clock(),
        )  # fmt: skip
        return BoardPackFailed.create(
            data=data, source=SOURCE, tenantid=PLATFORM_TENANT, time=self.clock(),
            id=derived_id(request.id, BoardPackFailed.TYPE),
        )  # fmt: skip
