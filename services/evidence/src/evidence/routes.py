"""The evidence service's subscribers on a FastStream KafkaRouter, each calling a handler."""

from __future__ import annotations

from faststream.kafka import KafkaMessage, KafkaRouter
from schemas.evidence import EvidenceRequest
from service_kit.decoding import raw_batch_decoder

from evidence import handlers
from evidence.settings import EvidenceSettings
from schemas import topics

EVIDENCE_SOURCES = (topics.PROVENANCE_EVENTS, topics.POLICY_EVENTS, topics.TENANT_EVENTS)


def evidence_routes(settings: EvidenceSettings, deps: handlers.Deps) -> KafkaRouter:
    """Evidence collected from the platform's facts; pack requests built into signed, ledgered packs."""
    router = KafkaRouter()

    @router.subscriber(
        *(settings.topic(t) for t in EVIDENCE_SOURCES),
        group_id=settings.collect_group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="evidence-collect",
        description="Keeps every event that is evidence, by event id, for the packs of its tenant and period.",
    )
    async def on_evidence(bodies: list[bytes], message: KafkaMessage) -> None:
        await handlers.on_evidence(bodies, message.raw_message, deps)

    @router.subscriber(
        settings.topic(topics.EVIDENCE_REQUESTS),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        title="evidence:evidence.requests.v1",
        description="Builds a requested pack (PackBuilt or PackFailed) or records a digest in the ledger (Anchored).",
    )
    async def on_request(event: EvidenceRequest) -> None:
        await handlers.on_request(event, deps)

    return router
