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


async def on_kafka(settings, behaviour, done) -> None:
    """Run `behaviour` against the projector on Kafka and FerretDB; settled once `done(stores)` holds."""
    mongo = build_mongo(settings)
    stores = PortalStores.of(mongo, settings)
    deps = handlers.Deps(
        audit=stores.audit,
        usage=stores.usage,
        invoices=stores.invoices,
        payments=stores.payments,
        board_packs=stores.board_packs,
        evidence_packs=stores.evidence_packs,
        trust_policies=stores.trust_policies,
        verdicts=stores.verdicts,
    )
    used = (topics.AUDIT_EVENTS, topics.POLICY_EVENTS, topics.BILLING_EVENTS, topics.BOARD_EVENTS)
    await ensure_topics(settings.kafka_bootstrap, [settings.topic(t) for t in used])
    await ensure_indexes(mongo, settings)
    broker, dead_letters = build_broker(settings, group=f"{settings.service_name}-it")
    broker.include_router(projection_routes(settings, deps, dead_letters.send_record))
    await broker.start()
    try:
        async with publisher(settings, topics.AUDIT_EVENTS) as send:

            async def publish(event: Any, topic: str) -> None:
                await send(event, topic)

            async def settle() -> None:
                await eventually(lambda: done(stores), what="the projector to fold what was published")

            await behaviour(publish, settle, deps)
    finally:
        await broker.stop()
        await mongo.close()


async def test_decisions_are_filed_once_and_the_newest_policy_wins_on_kafka_and_mongodb(portal_settings):
    async def done(stores) -> bool:
        policy = await stores.trust_policies.get("acme")
        return len(await stores.audit.find({"tenant": "acme"})) >= 3 and policy is not None

    await on_kafka(portal_settings, portal_projector.decisions_are_filed_once_and_the_newest_policy_wins, done)


async def test_payments_count_once_and_board_packs_are_kept_on_kafka_and_mongodb(portal_settings):
    async def done(stores) -> bool:
        paid = await stores.payments.find({"tenant": "acme"})
        return len(paid) >= 2 and len(await stores.board_packs.find({})) >= 2

    behaviour = portal_projector.payments_count_once_and_board_packs_are_kept_built_or_refused
    await on_kafka(portal_settings, behaviour, done)
