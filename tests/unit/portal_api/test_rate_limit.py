from datetime import UTC, datetime

from portal_api.rate_limit import Window


def test_retry_after_counts_the_seconds_left_in_the_window():
    assert Window.at(datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)).retry_after_s == 60
    assert Window.at(datetime(2026, 11, 27, 12, 0, 59, 500000, tzinfo=UTC)).retry_after_s == 1
    window = Window.at(datetime(2026, 11, 27, 12, 7, 30, tzinfo=UTC))
    assert window.start == datetime(2026, 11, 27, 12, 7, tzinfo=UTC) and window.retry_after_s == 30
