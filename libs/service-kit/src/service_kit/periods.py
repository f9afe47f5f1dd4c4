"""Calendar periods, months and quarters (UTC): what billing, evidence and reports are cut by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

__all__ = ["Period"]

MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month (`2026-05`) or quarter (`2026-Q2`); [start, end) in UTC."""

    year: int
    first_month: int
    months: int
    kind: Literal["month", "quarter"]

    @classmethod
    def parse(cls, text: str) -> Period:
        """`YYYY-MM` or `YYYY-Qn`; ValueError naming the accepted forms otherwise."""
        if m := MONTH.match(text):
            return cls.month(int(m["year"]), int(m["month"]))
        if q := QUARTER.match(text):
            return cls.quarter(int(q["year"]), int(q["quarter"]))
        raise ValueError(f"{text[:40]!r} is not a period: YYYY-MM (a month) or YYYY-Qn (a quarter)")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month `month` (1-12) of `year`."""
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is not 1-12")
        return cls(year, month, 1, "month")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter `quarter` (1-4) of `year`."""
        if not 1 <= quarter <= 4:
            raise ValueError(f"quarter {quarter} is not 1-4")
        return cls(year, 3 * (quarter - 1) + 1, 3, "quarter")

    @classmethod
    def month_of(cls, at: datetime) -> Period:
        """The month an instant falls in (UTC)."""
        utc = at.astimezone(UTC)
        return cls.month(utc.year, utc.month)

    @classmethod
    def quarter_of(cls, at: datetime) -> Period:
        """The quarter an instant falls in (UTC)."""
        utc = at.astimezone(UTC)
        return cls.quarter(utc.year, (utc.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime:
        """The period's first instant."""
        return datetime(self.year, self.first_month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        month = self.first_month + self.months
        return datetime(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)

    def contains(self, at: datetime) -> bool:
        """Whether `at` falls in [start, end)."""
        return self.start <= at < self.end

    def month_periods(self) -> list[Period]:
        """The months the period is made of, in order."""
        return [Period.month(self.year, self.first_month + i) for i in range(self.months)]

    def next(self) -> Period:
        """The period of the same kind that follows."""
        return Period.month_of(self.end) if self.kind == "month" else Period.quarter_of(self.end)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.first_month:02d}"
        return f"{self.year:04d}-Q{(self.first_month - 1) // 3 + 1}"
