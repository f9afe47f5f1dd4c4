import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from portal_api.errors import RateLimitedError
from portal_api.rate_limit import RateLimiter, Window
from pymongo.errors import PyMongoError


def test_retry_after_counts_the_seconds_left_in_the_window():
    assert Window.at(datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)).retry_after_s == 60
    assert Window.at(datetime(2026, 11, 27, 12, 0, 59, 500000, tzinfo=UTC)).retry_after_s == 1
    window = Window.at(datetime(2026, 11, 27, 12, 7, 30, tzinfo=UTC))
    assert window.start == datetime(2026, 11, 27, 12, 7, tzinfo=UTC) and window.retry_after_s == 30


class SharedCounts:
    """The one MongoDB call the limiter makes, over a dict (the integration tests use FerretDB)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.down = False

    async def find_one_and_update(self, query, update, upsert, return_document):
        if self.down:
            raise PyMongoError("down")
        doc = self.docs.setdefault(query["_id"], {"n": 0})
        doc["n"] += update["$inc"]["n"]
        return dict(doc)


NOW = datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)


def limiter(shared: SharedCounts, per_minute: int = 5) -> RateLimiter:
    return RateLimiter(shared, tenant_per_minute=per_minute, subject_per_minute=per_minute)  # type: ignore[arg-type]


def test_a_process_counts_exactly_without_touching_the_database():
    shared = SharedCounts()
    one = limiter(shared, per_minute=3)
    for _ in range(3):
        one.hit("subject", "vic", NOW)
    with pytest.raises(RateLimitedError) as refused:
        one.hit("subject", "vic", NOW)
    assert refused.value.retry_after_s == 30 and shared.docs == {}
    one.hit("subject", "other", NOW)  # another subject has its own window
    one.hit("subject", "vic", NOW + timedelta(minutes=1))  # and the next minute starts afresh


def test_replicas_share_their_counts_at_each_sync_and_keep_them_while_the_database_is_down():
    shared = SharedCounts()
    a, b = limiter(shared), limiter(shared)
    for _ in range(3):
        a.hit("tenant", "acme", NOW)
    shared.down = True
    with pytest.raises(PyMongoError):
        asyncio.run(a.sync(NOW))
    assert a.pending  # nothing lost
    shared.down = False
    asyncio.run(a.sync(NOW))
    b.hit("tenant", "acme", NOW)
    asyncio.run(b.sync(NOW))  # b learns a's three
    b.hit("tenant", "acme", NOW)
    with pytest.raises(RateLimitedError):
        b.hit("tenant", "acme", NOW)
    assert next(iter(shared.docs.values()))["n"] == 4


def test_finished_windows_are_forgotten():
    one = limiter(SharedCounts())
    one.hit("subject", "vic", NOW)
    asyncio.run(one.sync(NOW + timedelta(minutes=3)))
    assert one.windows == {} and one.shared == {} and one.pending == {}
