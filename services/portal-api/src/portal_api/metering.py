"""Metering: what admitted requests cost, counted in memory and published as UsageRecorded batches."""

from __future__ import annotations

from schemas.billing import Meter
from service_kit.logging import get_logger

from portal_api.billing import UsageMeter
from portal_api.ports import Clock, EventPublisher
from schemas import topics

log = get_logger(__name__)


class Metering:
    """Counts usage per tenant and meter; `flush` publishes the batch (what fails is kept for the next one)."""

    def __init__(self, meter: UsageMeter, publisher: EventPublisher, clock: Clock) -> None:
        self.meter = meter
        self.publisher = publisher
        self.clock = clock

    def count(self, tenant: str, *meters: Meter) -> None:
        """Count one unit of each of `meters` for `tenant`, now."""
        at = self.clock()
        for meter in meters:
            self.meter.count(tenant, meter, at)

    async def flush(self) -> int:
        """Publish the usage counted so far (one UsageRecorded per tenant, meter and period); how many went out."""
        sent = []
        for event in self.meter.batch(self.clock()):
            try:
                await self.publisher.publish(event, topics.BILLING_EVENTS)
            except Exception as exc:
                log.warning("usage kept for the next batch", error=f"{type(exc).__name__}: {exc}")
                break
            sent.append(event)
        self.meter.sent(sent)
        return len(sent)
