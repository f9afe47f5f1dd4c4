"""The projector's routes on FastStream's TestKafkaBroker and in-memory stores (the suite also runs on Kafka)."""

from __future__ import annotations

from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from portal_api import handlers
from portal_api.routes import projection_routes
from portal_api.settings import PortalSettings
from service_kit.broker import build_broker
from service_kit.publishing import event_headers
from service_kit.testing import InMemoryProjectionStore

from tests.behaviours import portal_projector

BEHAVIOURS = [
    portal_projector.decisions_are_filed_once_and_the_newest_policy_wins,
    portal_projector.payments_count_once_and_board_packs_are_kept_built_or_refused,
    portal_projector.each_submission_keeps_its_one_verdict,
]


@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=lambda b: b.__name__)
async def test_the_projector_behaviour_holds_on_the_test_broker(behaviour):
    settings = PortalSettings.model_construct(topic_prefix="unit.")
    deps = handlers.Deps(
        audit=InMemoryProjectionStore(),
        usage=InMemoryProjectionStore(),
        invoices=InMemoryProjectionStore(),
        payments=InMemoryProjectionStore(),
        board_packs=InMemoryProjectionStore(),
        evidence_packs=InMemoryProjectionStore(),
        trust_policies=InMemoryProjectionStore(),
        verdicts=InMemoryProjectionStore(),
    )
    dead: list[Any] = []

    async def dead_letter(record: Any, error: BaseException) -> None:
        dead.append((record, error))

    broker, _ = build_broker(settings, group="unit")  # the service's broker: its decoder and middlewares
    broker.include_router(projection_routes(settings, deps, dead_letter))
    async with TestKafkaBroker(broker) as test_broker:

        async def publish(event: Any, topic: str) -> None:
            await test_broker.publish(
                event.to_json(), topic=settings.topic(topic), key=event.tenantid.encode(), headers=event_headers(event)
            )

        async def settle() -> None:
            return None  # the test broker delivers each message before publish returns

        await behaviour(publish, settle, deps)
    assert dead == []
