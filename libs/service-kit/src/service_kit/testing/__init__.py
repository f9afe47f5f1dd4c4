"""Test doubles shipped with the kit; production code never imports them.

In-memory stores, recording publishers and a fake clock, for unit tests of handlers on the same
ports the adapters implement; and, in their own modules, what the integration tests, benchmarks and
the demo run against: `launcher` (a service as a child process), `webhooks` (a partner's webhook
receiver checking Standard Webhooks signatures), `provenance` (signed sample SLSA provenance).
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
