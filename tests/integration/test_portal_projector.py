"""The projector's behaviour suite on the real Kafka broker and FerretDB (tests/unit/portal_api/test_routes.py too)."""

from __future__ import annotations

from typing import Any

from portal_api import handlers
from portal_api.adapters.mongo import PortalStores, ensure_indexes
from portal_api.routes import projection_routes
from service_kit.broker import build_broker, ensure_topics
from service_kit.mongo import build_mongo

from schemas import topics
from tests.behaviours import portal_projector
from tests.integration.support import eventually, publisher


async def test_decisions_are_filed_once_and_the_newest_policy_wins_on_kafka_and_mongodb(portal_settings):
    settings = portal_settings
    mongo = build_mongo(settings)
    stores = PortalStores.of(mongo, settings)
    deps = handlers.Deps(
        audit=stores.audit,
        usage=stores.usage,
        invoices=stores.invoices,
        evidence_packs=stores.evidence_packs,
        trust_policies=stores.trust_policies,
    )
    await ensure_topics(
        settings.kafka_bootstrap, [settings.topic(t) for t in (topics.AUDIT_EVENTS, topics.POLICY_EVENTS)]
    )
    await ensure_indexes(mongo, settings)
    broker, dead_letters = build_broker(settings, group=f"{settings.service_name}-it")
    broker.include_router(projection_routes(settings, deps, dead_letters.send_record))
    await broker.start()
    try:
        async with publisher(settings, topics.AUDIT_EVENTS) as send:

            async def publish(event: Any, topic: str) -> None:
                await send(event, topic)

            async def settle() -> None:
                async def done() -> bool:
                    policy = await stores.trust_policies.get("acme")
                    return len(await stores.audit.find({"tenant": "acme"})) >= 3 and policy is not None

                await eventually(done, what="the projector to file the decisions and the policy")

            await portal_projector.decisions_are_filed_once_and_the_newest_policy_wins(publish, settle, deps)
    finally:
        await broker.stop()
        await mongo.close()
