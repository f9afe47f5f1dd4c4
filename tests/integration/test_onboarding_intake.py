"""Onboarding's intake suite on the real Kafka broker and FerretDB (tests/unit/onboarding/test_routes.py too)."""

from __future__ import annotations

from onboarding.app import Onboarding
from onboarding.settings import OnboardingSettings
from pymongo import MongoClient
from schemas.tenant import TENANT_FACTS
from service_kit.testing.webhooks import WebhookReceiver

from schemas import topics
from tests.behaviours import onboarding_intake
from tests.integration.support import eventually, read_topic, request, tenant


async def test_a_redelivered_request_provisions_one_tenant_on_kafka_and_ferretdb(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    async def state(slug: str) -> str | None:
        doc = tenant(mongo, settings, slug)
        return None if doc is None else str(doc["state"])

    async def settle() -> None:
        async def onboarded_and_announced() -> bool:
            kinds = [kind for kind, _ in await facts()]
            return await state("acme") == "onboarded" and kinds.count("io.trustportal.tenant.provisioned.v1") == 2

        await eventually(onboarded_and_announced, what="acme onboarded, its provisioning announced twice")

    async def facts() -> list[tuple[str, str]]:
        records = await read_topic(settings, topics.TENANT_EVENTS, idle_s=0.3)
        events = [TENANT_FACTS.validate_json(r.value) for r in records]
        return [(e.type, e.id) for e in events if e.tenantid == "acme"]

    same = request("acme", receiver.url("acme"), id="req-acme-twice")
    await onboarding_intake.a_redelivered_request_provisions_one_tenant_and_repeats_the_same_fact(
        publish, settle, state, facts, same
    )
