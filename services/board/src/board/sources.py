"""Reading the board pack's sources from the board's collections (an adapter over MongoDB)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from board.adapters import mongo as mongo_names
from board.facts import Fact
from board.pack import Sources
from board.projections import ProbeHour, unique_probes
from board.revenue import Invoice, Payment
from board.sla import Probe
from board.windows import Window


class StoredSources:
    """What a window's pack reads: every invoice, payment and fact the board folded, and the window's probes."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db

    async def invoices(self) -> list[Invoice]:
        """Every invoice on record."""
        return [Invoice.model_validate(d) async for d in self.db[mongo_names.INVOICES].find({})]

    async def payments(self) -> list[Payment]:
        """Every payment on record."""
        return [Payment.model_validate(d) async for d in self.db[mongo_names.PAYMENTS].find({})]

    async def probes(self, start: datetime, end: datetime) -> list[Probe]:
        """The probes of the hour documents in [start, end) (spans start on the hour), each once.

        A probe kept twice (a batch redelivered cut differently) is the same target and instant.
        """
        found = self.db[mongo_names.PROBE_HOURS].find({"hour": {"$gte": start, "$lt": end}})
        return unique_probes([ProbeHour.model_validate(d) async for d in found])

    async def facts(self) -> list[Fact]:
        """Every fact on record."""
        return [Fact.model_validate(d) async for d in self.db[mongo_names.FACTS].find({})]

    async def __call__(self, window: Window) -> Sources:
        """The sources of `window`'s pack."""
        invoices, payments, probes, facts = await asyncio.gather(  # four reads at once: the server overlaps them
            self.invoices(), self.payments(), self.probes(window.start, window.end), self.facts()
        )
        return Sources(invoices, payments, probes, facts)
