"""The kit's pure helpers: periods, the TTL cache on a fake clock, newest-wins, nearest rank, the periodic step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from service_kit.caching import TtlCache
from service_kit.folds import newest_wins
from service_kit.periodic import Periodic
from service_kit.periods import Period
from service_kit.quantiles import nearest_rank
from service_kit.testing import FakeClock

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def test_a_month_and_a_quarter_read_back_as_written_and_span_their_calendar_days():
    may, q2, q4 = Period.parse("2026-05"), Period.parse("2026-Q2"), Period.parse("2026-Q4")
    assert (str(may), str(q2)) == ("2026-05", "2026-Q2")
    assert (may.start, may.end) == (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    assert (q4.start, q4.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [str(m) for m in q2.month_periods()] == ["2026-04", "2026-05", "2026-06"]
    assert q2.contains(datetime(2026, 6, 30, 23, 59, tzinfo=UTC)) and not q2.contains(q2.end)
    assert (str(Period.parse("2026-12").next()), str(q4.next())) == ("2027-01", "2027-Q1")
    assert Period.quarter_of(NOW) == q4 and Period.month_of(NOW) == Period.month(2026, 12)


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26-05", "2026-5", "mid-Q2", ""])
def test_what_is_not_a_period_is_refused_naming_the_forms(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.parse(bad)


async def test_the_ttl_cache_reuses_an_answer_until_its_clock_passes_the_ttl():
    clock = FakeClock(NOW)
    asked: list[str] = []

    async def load(key: str) -> str | None:
        asked.append(key)
        return None if key == "absent" else key.upper()

    cache: TtlCache[str, str | None] = TtlCache(load, 5.0, clock=clock.monotonic)
    assert [await cache.get("a"), await cache.get("a")] == ["A", "A"]
    clock.advance(5.0)
    await cache.get("a")
    assert asked == ["a", "a"]
    forgetful: TtlCache[str, str | None] = TtlCache(load, 5.0, clock=clock.monotonic, keep_absent=False)
    await forgetful.get("absent")
    await forgetful.get("absent")
    assert asked.count("absent") == 2  # "not there" is asked again when absence is not kept


def test_newest_wins_and_a_tie_or_an_older_view_changes_nothing():
    def at(view: dict[str, datetime]) -> datetime:
        return view["at"]

    current = {"at": NOW}
    assert newest_wins(None, current, at) is current
    assert newest_wins(current, {"at": NOW}, at) is None
    assert newest_wins(current, {"at": NOW - timedelta(seconds=1)}, at) is None
    newer = {"at": NOW + timedelta(seconds=1)}
    assert newest_wins(current, newer, at) is newer


def test_nearest_rank_is_always_an_observed_value():
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert nearest_rank(map(float, range(1, 101)), 0.95) == 95.0
    assert nearest_rank([7.0], 0.99) == 7.0


async def test_a_periodic_step_that_fails_is_logged_and_the_next_one_still_runs():
    ran: list[int] = []
    naps: list[float] = []

    async def step() -> None:
        ran.append(len(ran))
        if len(ran) == 1:
            raise ConnectionError("the database went away")

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) > 3:
            raise SystemExit  # end the loop for the test

    with pytest.raises(SystemExit):
        await Periodic("test", 2.0, step, sleep=sleep).run()
    assert ran == [0, 1, 2] and naps == [2.0] * 4
