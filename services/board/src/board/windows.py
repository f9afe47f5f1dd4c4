"""The periods a board pack covers: a month, a quarter, or a quarter to the 15th of its middle month (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from service_kit.periods import Period

MID_QUARTER = re.compile(r"^mid-Q(?P<quarter>[1-4])-(?P<year>\d{4})$")


@dataclass(frozen=True)
class Window:
    """[start, end) of a board pack, its label and the calendar months it touches."""

    label: str
    start: datetime
    end: datetime
    months: tuple[Period, ...]

    @property
    def last_instant(self) -> datetime:
        """The document's date: the last second of the window."""
        return self.end - timedelta(seconds=1)

    def __str__(self) -> str:
        return self.label

    def contains(self, at: datetime) -> bool:
        """Whether `at` falls in [start, end)."""
        return self.start <= at < self.end


def window(text: str) -> Window:
    """`2026-05`, `2026-Q2` or `mid-Q2-2026` (Q2 to 15 May inclusive); ValueError naming the accepted forms."""
    if match := MID_QUARTER.match(text):
        quarter = Period.quarter(int(match["year"]), int(match["quarter"]))
        first, middle, _ = quarter.month_periods()
        end = middle.start + timedelta(days=15)
        return Window(text, quarter.start, end, (first, middle))
    try:
        period = Period.parse(text)
    except ValueError:
        raise ValueError(
            f"{text[:40]!r} is not a board period: YYYY-MM, YYYY-Qn, or mid-Qn-YYYY (the quarter to its middle "
            "month's 15th)"
        ) from None
    return Window(str(period), period.start, period.end, tuple(period.month_periods()))
