"""Onboarding's subscribers on a FastStream KafkaRouter, each calling a handler."""

from __future__ import annotations

from faststream.kafka import KafkaRouter
from schemas.tenant import TenantFact, TenantRequested

from onboarding import handlers
from onboarding.settings import OnboardingSettings
from onboarding.worker import VerificationWorker
from schemas import topics


def onboarding_routes(settings: OnboardingSettings, deps: handlers.Deps, worker: VerificationWorker) -> KafkaRouter:
    """Tenant requests in (then their webhooks verified in the background); tenant facts folded into cohorts."""
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(topics.TENANT_INTAKE),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        title="onboarding:tenant.intake.v1",
        description="Tenant requests from partners and the batch CLI.",
    )
    async def on_tenant_requested(event: TenantRequested) -> None:
        # The offset is committed once the tenant is stored; its verification runs in the background
        # (the tenants collection is the durable queue: the worker's sweep resumes what a crash interrupted).
        if (slug := await handlers.on_tenant_requested(event, deps)) is not None:
            worker.schedule(slug)

    @router.subscriber(
        settings.topic(topics.TENANT_EVENTS),
        group_id=settings.cohort_group_id,
        auto_offset_reset="earliest",
        title="onboarding-cohorts:tenant.events.v1",
        description="Folds tenant facts into cohort metrics.",
    )
    async def on_tenant_fact(event: TenantFact) -> None:
        await handlers.on_tenant_fact(event, deps)

    return router
