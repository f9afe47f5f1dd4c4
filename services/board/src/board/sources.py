"""Reading the board pack's sources from the board's collections (an adapter over MongoDB)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from board.adapters import mongo as mongo_names
from board.facts import Fact
from board.pack import Sources
from board.projections import ProbeHour
from board.revenue import Invoice, Payment
from board.windows import Window


class StoredSources:
    """What a window's pack reads: every invoice, payment and fact the board folded, and the window's probes."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def __call__(self, window: Window) -> Sources:
        """The sources of `window`'s pack."""
        db = self.db
        invoices = [Invoice.model_validate(d) async for d in db[mongo_names.INVOICES].find({})]
        payments = [Payment.model_validate(d) async for d in db[mongo_names.PAYMENTS].find({})]
        hours = db[mongo_names.PROBE_HOURS].find({"hour": {"$gte": window.start - timedelta(hours=1),
                                                           "$lt": window.end}})  # fmt: skip
        probes = [p async for d in hours for p in ProbeHour.model_validate(d).probes()]
        facts = [Fact.model_validate(d) async for d in db[mongo_names.FACTS].find({})]
        return Sources(invoices, payments, probes, facts)
