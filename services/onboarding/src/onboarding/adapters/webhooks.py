"""The webhook ping as the service runs it: SSRF-guarded, retried on its schedule, traced, logged and measured."""

from __future__ import annotations

import asyncio

from opentelemetry.trace import TracerProvider
from service_kit.logging import get_logger
from service_kit.ports import Clock

from onboarding.adapters.http import GuardedSender
from onboarding.domain import PingOutcome, TenantRecord
from onboarding.metrics import OnboardingMetrics
from onboarding.verification import RetrySchedule, verify_webhook

log = get_logger(__name__)


class TracedPinger:
    """Verifies a tenant's webhook in a `webhook.verify` span, then logs and counts the outcome."""

    def __init__(
        self,
        sender: GuardedSender,
        schedule: RetrySchedule,
        metrics: OnboardingMetrics,
        clock: Clock,
        tracer_provider: TracerProvider,
    ) -> None:
        self.sender = sender
        self.schedule = schedule
        self.metrics = metrics
        self.clock = clock
        self.tracer = tracer_provider.get_tracer("onboarding")

    async def ping(self, record: TenantRecord, secret: str, msg_id: str) -> PingOutcome:
        """The outcome of the signed ping (with retries) to `record`'s webhook."""
        with self.tracer.start_as_current_span("webhook.verify", attributes={"tenant.id": record.slug}) as span:
            outcome = await verify_webhook(
                record.webhook_url,
                slug=record.slug,
                secret=secret,
                msg_id=msg_id,
                send=self.sender,
                schedule=self.schedule,
                sleep=asyncio.sleep,
                clock=self.clock,
            )
            span.set_attribute("webhook.attempts", outcome.attempts)
            span.set_attribute("webhook.ok", outcome.ok)
        log.info(
            "webhook verification",
            tenant=record.slug,
            ok=outcome.ok,
            attempts=outcome.attempts,
            status_code=outcome.status_code,
            reason=outcome.reason or None,
        )
        self.metrics.observe(outcome, (self.clock() - record.requested_at).total_seconds(), cohort=record.cohort)
        return outcome
