"""The projector's subscribers on a FastStream KafkaRouter: one per topic, each calling a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaMessage, KafkaRouter
from schemas.audit import AccessDecided
from schemas.billing import BillingFact
from schemas.board import BoardFact
from schemas.evidence import EvidenceFact
from schemas.policy import PolicyFact
from schemas.provenance import ProvenanceVerdict
from service_kit.decoding import decode_each, raw_batch_decoder

from portal_api import handlers
from portal_api.settings import PortalSettings
from schemas import topics

DeadLetter = Callable[[Any, BaseException], Awaitable[None]]


def projection_routes(settings: PortalSettings, deps: handlers.Deps, dead_letter: DeadLetter) -> KafkaRouter:
    """The read models' subscribers (the `projector` role, or `all`)."""
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(topics.AUDIT_EVENTS),
        group_id=f"{settings.service_name}-audit",
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        # Let the broker gather up to 64 KiB or 200 ms per fetch: a few large batches instead of one
        # per request, so the fold costs little CPU next to the API (the tab is a moment behind).
        fetch_min_bytes=64 * 1024,
        fetch_max_wait_ms=200,
        decoder=raw_batch_decoder,
        title="portal-api-audit:audit.events.v1",
        description="Keeps the Audit tab's read model: one document per decision, keyed by event id, "
        "written a fetched batch at a time (one decision per request makes this the busiest fold).",
    )
    async def on_access_decided(bodies: list[bytes], message: KafkaMessage) -> None:
        # a poison record goes to the DLQ alone; the batch proceeds
        decided = await decode_each(bodies, message.raw_message, AccessDecided.model_validate_json, dead_letter)
        await handlers.on_access_decided([event for event, _ in decided], deps)

    @router.subscriber(
        settings.topic(topics.BILLING_EVENTS),
        group_id=f"{settings.service_name}-billing",
        auto_offset_reset="earliest",
        title="portal-api-billing:billing.events.v1",
        description="Keeps the Finance tab: usage batches by event id, invoices by invoice id (one per period), "
        "payments by payment id.",
    )
    async def on_billing(event: BillingFact) -> None:
        await handlers.on_billing(event, deps)

    @router.subscriber(
        settings.topic(topics.EVIDENCE_EVENTS),
        group_id=f"{settings.service_name}-evidence",
        auto_offset_reset="earliest",
        title="portal-api-evidence:evidence.events.v1",
        description="Keeps the Evidence tab: each built pack by pack id, with its signature, proof and tree head.",
    )
    async def on_evidence(event: EvidenceFact) -> None:
        await handlers.on_evidence(event, deps)

    @router.subscriber(
        settings.topic(topics.POLICY_EVENTS),
        group_id=f"{settings.service_name}-policy",
        auto_offset_reset="earliest",
        title="portal-api-policy:policy.events.v1",
        description="Keeps each tenant's trust policy in force (the newest update wins).",
    )
    async def on_policy(event: PolicyFact) -> None:
        await handlers.on_policy(event, deps)

    @router.subscriber(
        settings.topic(topics.BOARD_EVENTS),
        group_id=f"{settings.service_name}-board",
        auto_offset_reset="earliest",
        title="portal-api-board:board.events.v1",
        description="Keeps the platform's Board view: each board pack built (with its ledger proof) or refused.",
    )
    async def on_board(event: BoardFact) -> None:
        await handlers.on_board(event, deps)

    @router.subscriber(
        settings.topic(topics.PROVENANCE_EVENTS),
        group_id=f"{settings.service_name}-provenance",
        auto_offset_reset="earliest",
        title="portal-api-provenance:provenance.events.v1",
        description="Keeps each submission's verdict by submission id: what a release waits for.",
    )
    async def on_verdict(event: ProvenanceVerdict) -> None:
        await handlers.on_verdict(event, deps)

    return router
