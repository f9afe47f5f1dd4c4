"""What the service does with each consumed batch; the composition root (app.py) wires the I/O in.

Verification is CPU-bound and quick (a signature check and a JSON read per submission), so a fetched
batch is verified in turn and its verdicts published together; a record that does not decode goes to
the DLQ alone, and a submission that trips an unexpected error is dead-lettered alone too, so one bad
input never holds up or loses the rest of its batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.provenance import ProvenanceSubmitted, ProvenanceVerdict
from schemas.read_models import SlsaRepoStatus
from service_kit.broker import decode_each
from service_kit.logging import get_logger
from service_kit.mongo import ProjectionStore

from slsa_watch.domain import decide
from slsa_watch.metrics import SlsaMetrics
from slsa_watch.policies import PolicyBook

log = get_logger(__name__)


@dataclass
class Deps:
    """The I/O a batch handler needs."""

    policies: PolicyBook
    repos: ProjectionStore[SlsaRepoStatus]
    publish: Callable[[Sequence[ProvenanceVerdict]], Awaitable[None]]
    dead_letter: Callable[[Any, BaseException], Awaitable[None]]
    metrics: SlsaMetrics
    clock: Callable[[], datetime]


async def verify_batch(bodies: Sequence[bytes], records: Sequence[Any], deps: Deps) -> list[ProvenanceVerdict]:
    """Decode, verify and publish a batch of submissions; returns the verdicts published.

    The signature checks are CPU work: the batch is judged on a worker thread, so the event loop
    (Kafka heartbeats, the other consumers, the probes) keeps running while it is.
    """
    submissions = await decode_each(bodies, records, ProvenanceSubmitted.model_validate_json, deps.dead_letter)
    policies = {tenant: await deps.policies.policy(tenant) for tenant in {s.tenantid for s, _ in submissions}}
    now = deps.clock()

    def judge_all() -> list[tuple[ProvenanceVerdict | Exception, float]]:
        judged: list[tuple[ProvenanceVerdict | Exception, float]] = []
        for submission, _ in submissions:
            began = time.perf_counter()
            try:
                judged.append((decide(submission, policies[submission.tenantid], now), time.perf_counter() - began))
            except Exception as exc:  # a bug met by one input: that input to the DLQ, the batch proceeds
                judged.append((exc, 0.0))
        return judged

    verdicts: list[ProvenanceVerdict] = []
    for (submission, record), (outcome, seconds) in zip(submissions, await asyncio.to_thread(judge_all), strict=True):
        if isinstance(outcome, Exception):
            log.error("verification failed", submission=submission.data.submission_id, exc_info=outcome)
            await deps.dead_letter(record, outcome)
            continue
        deps.metrics.observe(outcome, seconds)
        verdicts.append(outcome)
    await deps.publish(verdicts)
    return verdicts


async def fold_verdicts(verdicts: Sequence[ProvenanceVerdict], deps: Deps) -> int:
    """Fold verdicts into the SLSA map; returns how many rows changed."""
    return await deps.repos.fold(verdicts, SlsaRepoStatus.key_of, SlsaRepoStatus.folded)
