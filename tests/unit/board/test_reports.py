"""The board's revenue read model: every month from the first on record to this one, made again each round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from board.reports import RevenueViews, months_on_record
from schemas.revenue import RevenueReport
from service_kit.testing import InMemoryProjectionStore

from tests.unit.board.factories import invoice, payment

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def test_the_months_run_from_the_first_billed_to_the_current_one_newest_first_and_bounded():
    first = invoice("acme", "2026-09", 100, issued_at=datetime(2026, 10, 1, tzinfo=UTC))
    months = months_on_record([first], [], NOW, limit=24)
    assert [str(m) for m in months] == ["2026-12", "2026-11", "2026-10", "2026-09"]
    assert [str(m) for m in months_on_record([first], [], NOW, limit=2)] == ["2026-12", "2026-11"]
    assert months_on_record([], [], NOW, limit=24) == []


async def test_a_refresh_saves_each_months_report_and_the_next_one_sees_a_new_payment():
    issued = datetime(2026, 11, 1, 9, tzinfo=UTC)
    invoices = [invoice("acme", "2026-10", 199_000, issued_at=issued, ident="inv-1")]
    payments: list = []
    store = InMemoryProjectionStore[RevenueReport]()

    async def all_invoices():
        return invoices

    async def all_payments():
        return payments

    views = RevenueViews(all_invoices, all_payments, store, lambda: NOW, terms_days=30)
    assert await views.refresh() == 3  # 2026-10 (the invoice's period) to 2026-12
    november = await store.get("2026-11")
    assert november is not None and [a.amount_minor for a in november.invoiced] == [199_000]
    assert november.collected == ()
    payments.append(payment("p-1", "inv-1", 199_000, issued + timedelta(days=3), tenant="acme"))
    await views.refresh()
    november = await store.get("2026-11")
    assert november is not None and [a.amount_minor for a in november.collected] == [199_000]
    assert [s.status for s in november.invoices] == ["paid"]
