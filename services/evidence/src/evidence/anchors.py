"""Recording other documents' digests in the ledger (the board pack's PDF): one entry per digest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from schemas.envelope import derived_id
from schemas.evidence import Anchored, AnchoredData, AnchorRequested
from schemas.tenant import PLATFORM_TENANT

from evidence.ledger_store import LedgerStore
from evidence.pack import ledger_entry

SOURCE = "/services/evidence"


@dataclass
class Anchorer:
    """Appends a requested digest to the ledger once and answers with its proof."""

    anchors: AsyncCollection[dict[str, Any]]
    ledger: LedgerStore
    clock: Callable[[], datetime]

    async def anchor(self, request: AnchorRequested) -> Anchored:
        """The digest's entry in the ledger (appended now, or found from an earlier request) with its proof."""
        data = request.data
        key = f"{data.kind}/{data.sha256}"
        doc = await self.anchors.find_one({"_id": key})
        if doc is None:
            entry = ledger_entry(data.subject, PLATFORM_TENANT, data.sha256, kind=data.kind)
            [index], _ = await self.ledger.append([entry])
            doc = {"_id": key, "subject": data.subject, "ledger_index": index, "anchored_at": self.clock()}
            await self.anchors.insert_one(doc)
        index = int(doc["ledger_index"])
        head = await self.ledger.head()
        if head is None:  # cannot happen: the entry is in it
            raise RuntimeError(f"the ledger lost entry {index}")
        proof = await self.ledger.prove(index, head["tree_size"])
        answer = AnchoredData(
            anchor_id=data.anchor_id, kind=data.kind, subject=str(doc["subject"]), sha256=data.sha256,
            ledger_index=index, inclusion_proof=proof, tree_head=head, anchored_at=doc["anchored_at"],
        )  # fmt: skip
        return Anchored.create(
            data=answer, source=SOURCE, tenantid=PLATFORM_TENANT, time=self.clock(),
            id=derived_id(request.id, Anchored.TYPE),
        )  # fmt: skip
