"""The board's subscribers on a FastStream KafkaRouter, each calling a handler."""

from __future__ import annotations

from faststream.kafka import KafkaMessage, KafkaRouter
from schemas.board import BoardPackRequested
from service_kit.decoding import raw_batch_decoder

from board import handlers
from board.settings import BoardSettings
from schemas import topics

FACT_SOURCES = (topics.TENANT_EVENTS, topics.PROVENANCE_EVENTS, topics.EVIDENCE_EVENTS, topics.POLICY_EVENTS)


def board_routes(settings: BoardSettings, deps: handlers.Deps) -> KafkaRouter:
    """The board's subscribers, each in its own consumer group (<group>-billing, -sla, -facts, -requests).

    Billing events, probe results and the platform's facts folded into the reports' sources; pack requests
    built. Separate groups, so one joining never rebalances the others.
    """
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(topics.BILLING_EVENTS),
        group_id=f"{settings.group_id}-billing",
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="board:billing.events.v1",
        description="Keeps every invoice (by invoice id) and payment (by event id) for the revenue report.",
    )
    async def on_billing(bodies: list[bytes], message: KafkaMessage) -> None:
        await handlers.on_billing(bodies, message.raw_message, deps)

    @router.subscriber(
        settings.topic(topics.SLA_EVENTS),
        group_id=f"{settings.group_id}-sla",
        auto_offset_reset="earliest",
        batch=True,
        # Large fetches: a month of probes is half a million small records, folded a few thousand at a time
        # (one insert per batch); a live prober's trickle still arrives within the fetch wait.
        max_records=5000,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_wait_ms=200,
        decoder=raw_batch_decoder,
        title="board:sla.events.v1",
        description="Keeps the prober's results, one columnar document per target, hour and batch, for the SLA.",
    )
    async def on_sla(bodies: list[bytes], message: KafkaMessage) -> None:
        await handlers.on_sla(bodies, message.raw_message, deps)

    @router.subscriber(
        *(settings.topic(t) for t in FACT_SOURCES),
        group_id=f"{settings.group_id}-facts",
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="board-facts",
        description="Keeps the tenant, provenance, evidence and policy facts the board pack reports on.",
    )
    async def on_facts(bodies: list[bytes], message: KafkaMessage) -> None:
        await handlers.on_facts(bodies, message.raw_message, deps)

    @router.subscriber(
        settings.topic(topics.BOARD_REQUESTS),
        group_id=f"{settings.group_id}-requests",
        auto_offset_reset="earliest",
        title="board:board.requests.v1",
        description="Renders the requested board pack and has its digest anchored in the evidence ledger.",
    )
    async def on_pack_requested(event: BoardPackRequested) -> None:
        await handlers.on_pack_requested(event, deps)

    return router
