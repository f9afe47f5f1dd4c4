"""The board's revenue read model (`board_revenue`): each month's report, kept current on a schedule.

Other services read it (read-only, typed by schemas.revenue.RevenueReport): the portal's platform
revenue view shows it. A month's money changes with every payment and, for the open month, with time
(invoiced and collected to date, invoices ageing), so the reports are made again each round from the
board's invoices and payments, from the first month on record (at most `months` back) to this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from schemas.revenue import RevenueReport
from service_kit.periods import Period
from service_kit.ports import WritableViews

from board.revenue import Invoice, Payment, previous_month, revenue_report


def months_on_record(invoices: list[Invoice], payments: list[Payment], now: datetime, limit: int) -> list[Period]:
    """The months from the first one billed or paid to the current one, newest first, at most `limit`."""
    current = Period.month_of(now)
    firsts = [Period.parse(i.data.period).start for i in invoices] + [p.data.received_at for p in payments]
    if not firsts:
        return []
    first = Period.month_of(min(firsts))
    months = [current]
    while len(months) < limit and months[-1].start > first.start:
        months.append(previous_month(months[-1]))
    return months


@dataclass
class RevenueViews:
    """Makes every month's revenue report again and saves it under the month (YYYY-MM)."""

    invoices: Callable[[], Awaitable[list[Invoice]]]
    payments: Callable[[], Awaitable[list[Payment]]]
    store: WritableViews[RevenueReport]
    clock: Callable[[], datetime]
    terms_days: int
    months: int = 24

    async def refresh(self) -> int:
        """One round: how many months' reports were saved."""
        invoices, payments, now = await self.invoices(), await self.payments(), self.clock()
        months = months_on_record(invoices, payments, now, self.months)
        for month in months:
            report = revenue_report(invoices, payments, month, now, terms_days=self.terms_days)
            await self.store.save(str(month), report)
        return len(months)
