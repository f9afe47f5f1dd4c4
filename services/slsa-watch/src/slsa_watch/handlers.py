"""What the service does with each consumed batch or event; routes.py calls these, app.py wires the I/O in.

Verification is CPU-bound and quick (a signature check and a JSON read per submission), so a fetched
batch is verified in turn and its verdicts published together; a record that does not decode goes to
the DLQ alone, and a submission that trips an unexpected error is dead-lettered alone too, so one bad
input never holds up or loses the rest of its batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.policy import PolicyFact, TrustPolicyUpdated
from schemas.provenance import ProvenanceSubmitted, ProvenanceVerdict
from schemas.read_models import SlsaRepoStatus
from service_kit.decoding import decode_each
from service_kit.logging import get_logger

from slsa_watch import projections
from slsa_watch.domain import decide
from slsa_watch.metrics import SlsaMetrics
from slsa_watch.ports import Clock, DeadLetter, FoldedViews, TrustPolicies, VerdictPublisher
from slsa_watch.verdict import TrustPolicy

log = get_logger(__name__)


@dataclass
class Deps:
    """What the handlers need, built once in app.py (tests pass fakes)."""

    policies: TrustPolicies
    repos: FoldedViews[SlsaRepoStatus]
    verdicts: VerdictPublisher
    dead_letter: DeadLetter
    metrics: SlsaMetrics
    clock: Clock


INLINE_ENVELOPE_BYTES = 64 * 1024
"""Envelopes up to this size are judged on the event loop: with at most MAX_ATTEMPTS signature checks
each costs well under a millisecond even when hostile. Larger ones go to a worker thread."""
YIELD_EVERY_S = 0.02
"""The loop gets control back at least this often while a batch is judged inline."""

Judged = tuple[ProvenanceVerdict | Exception, float]


def timed_decide(submission: ProvenanceSubmitted, policy: TrustPolicy | None, now: datetime) -> Judged:
    """One submission's verdict and the seconds it took, or the unexpected error it met."""
    began = time.perf_counter()
    try:
        return decide(submission, policy, now), time.perf_counter() - began
    except Exception as exc:  # a bug met by one input: that input to the DLQ, the batch proceeds
        return exc, 0.0


async def verify_batch(bodies: Sequence[bytes], records: Sequence[Any], deps: Deps) -> list[ProvenanceVerdict]:
    """Decode, verify and publish a batch of submissions; returns the verdicts published.

    The event loop (Kafka heartbeats, the other consumers, the probes) is never held for long: small
    envelopes, whose bounded checks cost well under a millisecond, are judged inline with the loop
    given control every 20 ms; large ones, where the cost is, are judged on a worker thread. (The
    whole batch on a thread measured 25% fewer verdicts/s: the loop and the thread contend for the GIL.)
    """
    submissions = await decode_each(bodies, records, ProvenanceSubmitted.model_validate_json, deps.dead_letter)
    policies = {tenant: await deps.policies.policy(tenant) for tenant in {s.tenantid for s, _ in submissions}}
    now = deps.clock()
    verdicts: list[ProvenanceVerdict] = []
    since_yield = time.perf_counter()
    for submission, record in submissions:
        policy = policies[submission.tenantid]
        if len(submission.data.envelope) > INLINE_ENVELOPE_BYTES:
            outcome, seconds = await asyncio.to_thread(timed_decide, submission, policy, now)
        else:
            outcome, seconds = timed_decide(submission, policy, now)
            if time.perf_counter() - since_yield > YIELD_EVERY_S:
                await asyncio.sleep(0)
                since_yield = time.perf_counter()
        if isinstance(outcome, Exception):
            log.error("verification failed", submission=submission.data.submission_id, exc_info=outcome)
            await deps.dead_letter(record, outcome)
            continue
        deps.metrics.observe(outcome, seconds)
        verdicts.append(outcome)
    await deps.verdicts.publish(verdicts)
    return verdicts


async def on_verdicts(verdicts: Sequence[ProvenanceVerdict], deps: Deps, target_l3: int) -> int:
    """Fold verdicts into the SLSA map and, when a row changed, show the organisation's adoption; rows changed."""
    changed = await deps.repos.fold(verdicts, projections.row_key, projections.repo_status)
    if changed:
        deps.metrics.adoption(projections.adoption(await deps.repos.find({}), target_l3))
    return changed


async def on_policy(event: PolicyFact, deps: Deps) -> None:
    """Keep the tenant's trust policy in force (the newest update wins)."""
    if isinstance(event, TrustPolicyUpdated):
        await deps.policies.record(event)
