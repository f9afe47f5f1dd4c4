"""The batch handler on fakes: large envelopes are judged off the event loop, small ones on it, all in order."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from service_kit.testing import RecordingBatchPublisher
from service_kit.testing.provenance import Signer
from slsa_watch import handlers
from slsa_watch.domain import policy_of
from slsa_watch.handlers import INLINE_ENVELOPE_BYTES, Deps, verify_batch
from slsa_watch.metrics import SlsaMetrics

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


class InMemoryPolicyBook:
    def __init__(self, policies: dict) -> None:
        self.policies = policies

    async def policy(self, tenant: str):
        return self.policies.get(tenant)


async def test_large_envelopes_are_judged_on_a_worker_thread_and_verdicts_keep_their_order(monkeypatch):
    acme = Signer("acme")
    repo = "github.com/acme/robot"
    small = acme.envelope(repo, "robot.tar")
    padded = json.loads(small)
    padded["padding"] = "x" * (INLINE_ENVELOPE_BYTES + 1)  # unknown fields are ignored; the size is what counts
    large = json.dumps(padded)
    submissions = [acme.submission(repo, "robot.tar", envelope, NOW) for envelope in (small, large, small)]
    threads: list[bool] = []
    real = handlers.decide

    def recording(submission, policy, now):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(submission, policy, now)

    monkeypatch.setattr(handlers, "decide", recording)
    published = RecordingBatchPublisher()

    async def dead_letter(record, exc) -> None:
        raise AssertionError(f"nothing should be dead-lettered: {exc!r}")

    deps = Deps(
        policies=InMemoryPolicyBook({"acme": policy_of(acme.policy([repo], NOW))}),
        repos=None,  # type: ignore[arg-type]  # not used by verify_batch
        verdicts=published,
        dead_letter=dead_letter,
        metrics=SlsaMetrics(CollectorRegistry()),
        clock=lambda: NOW,
    )
    verdicts = await verify_batch([s.to_json() for s in submissions], [None] * 3, deps)
    assert threads == [True, False, True]  # the large one off the loop's thread
    assert (
        [v.data.submission_id for v in verdicts]
        == [s.data.submission_id for s in submissions]
        == [v.data.submission_id for v in published.events]
    )
    assert all(v.type.endswith("verified.v1") for v in verdicts)
