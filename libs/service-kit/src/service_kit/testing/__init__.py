"""Test doubles shipped with the kit; production code never imports them.

In-memory stores, a recording publisher and a fake clock, for unit tests of handlers on the same
ports the adapters implement.
"""

from service_kit.testing.clock import FakeClock
from service_kit.testing.publishers import RecordingBatchPublisher, RecordingPublisher
from service_kit.testing.stores import InMemoryProjectionStore

__all__ = [
    "FakeClock",
    "InMemoryProjectionStore",
    "RecordingBatchPublisher",
    "RecordingPublisher",
]
