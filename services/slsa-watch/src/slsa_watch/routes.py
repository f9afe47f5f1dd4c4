"""slsa-watch's subscribers on FastStream KafkaRouters: the verifier's and the projector's, each calling a handler."""

from __future__ import annotations

from faststream.kafka import KafkaMessage, KafkaRouter
from pydantic import TypeAdapter
from schemas.policy import PolicyFact
from schemas.provenance import VERDICT
from schemas.runner import RunnerEvent, RunnerQueueRecovered, RunnerQueueSaturated
from service_kit.decoding import decode_each, raw_batch_decoder

from schemas import topics
from slsa_watch import handlers
from slsa_watch.runner_watch import RunnerWatch
from slsa_watch.settings import SlsaWatchSettings

RUNNER_EVENT: TypeAdapter[RunnerEvent] = TypeAdapter(RunnerEvent)


def verifier_routes(settings: SlsaWatchSettings, deps: handlers.Deps) -> KafkaRouter:
    """The verifier: submissions and trust policies in, verdicts out (any number of replicas)."""
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(topics.PROVENANCE_SUBMITTED),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=settings.batch_max_records,
        decoder=raw_batch_decoder,
        title="slsa-watch:provenance.submitted.v1",
        description="Verifies each submission against its tenant's trust policy; one verdict per submission.",
    )
    async def on_submissions(bodies: list[bytes], message: KafkaMessage) -> None:
        await handlers.verify_batch(bodies, message.raw_message, deps)

    @router.subscriber(
        settings.topic(topics.POLICY_EVENTS),
        group_id=settings.policy_group_id,
        auto_offset_reset="earliest",
        title="slsa-watch-policies:policy.events.v1",
        description="Keeps each tenant's trust policy in force (the newest update wins).",
    )
    async def on_policy(event: PolicyFact) -> None:
        await handlers.on_policy(event, deps)

    return router


def projection_routes(settings: SlsaWatchSettings, deps: handlers.Deps, runners: RunnerWatch) -> KafkaRouter:
    """The projector: the SLSA map and the runner pools' figures (exactly one replica)."""
    router = KafkaRouter()

    @router.subscriber(
        settings.topic(topics.PROVENANCE_EVENTS),
        group_id=settings.map_group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="slsa-watch-map:provenance.events.v1",
        description="Folds verdicts into the SLSA map (tenant, repository) and the organisation's adoption.",
    )
    async def on_verdicts(bodies: list[bytes], message: KafkaMessage) -> None:
        decoded = await decode_each(bodies, message.raw_message, VERDICT.validate_json, deps.dead_letter)
        await handlers.on_verdicts([v for v, _ in decoded], deps, settings.target_l3_repos)

    @router.subscriber(
        settings.topic(topics.RUNNER_EVENTS),
        group_id=settings.runner_group_id,
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="slsa-watch-runners:runner.events.v1",
        description="Folds hermetic job events into queue depth, waits and utilisation per pool; signals saturation.",
    )
    async def on_runner_events(bodies: list[bytes], message: KafkaMessage) -> None:
        events = await decode_each(bodies, message.raw_message, RUNNER_EVENT.validate_json, deps.dead_letter)
        # our own saturation signals share the topic
        await runners.apply([e for e, _ in events if not isinstance(e, RunnerQueueSaturated | RunnerQueueRecovered)])

    return router
