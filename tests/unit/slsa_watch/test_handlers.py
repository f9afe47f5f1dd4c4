"""The batch handler on fakes: large envelopes are judged off the event loop, small ones on it, all in order."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from schemas.policy import TrustPolicyUpdated
from service_kit.testing import InMemoryProjectionStore, RecordingBatchPublisher
from service_kit.testing.provenance import Signer
from slsa_watch.domain import decide, policy_of
from slsa_watch.handlers import INLINE_ENVELOPE_BYTES, Deps, verify_batch
from slsa_watch.metrics import SlsaMetrics
from slsa_watch.verdict import TrustPolicy

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


class InMemoryPolicyBook:
    """TrustPolicies over a dict."""

    def __init__(self, policies: dict[str, TrustPolicy]) -> None:
        self.policies = policies

    async def policy(self, tenant: str) -> TrustPolicy | None:
        return self.policies.get(tenant)

    async def record(self, event: TrustPolicyUpdated) -> bool:
        self.policies[event.tenantid] = policy_of(event)
        return True


async def test_large_envelopes_are_judged_on_a_worker_thread_and_verdicts_keep_their_order(monkeypatch):
    acme = Signer("acme")
    repo = "github.com/acme/robot"
    small = acme.envelope(repo, "robot.tar")
    padded = json.loads(small)
    padded["padding"] = "x" * (INLINE_ENVELOPE_BYTES + 1)  # unknown fields are ignored; the size is what counts
    large = json.dumps(padded)
    submissions = [acme.submission(repo, "robot.tar", envelope, NOW) for envelope in (small, large, small)]
    threads: list[bool] = []
    real = decide

    def recording(submission, policy, now):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(submission, policy, now)

    monkeypatch.setattr("slsa_watch.handlers.decide", recording)
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


async def test_verdicts_fold_into_the_map_and_adoption_is_shown_only_when_a_row_changed():
    from schemas.read_models import SlsaRepoStatus
    from slsa_watch.handlers import on_verdicts

    acme = Signer("acme")
    policy = policy_of(acme.policy(["github.com/acme/robot"], NOW))
    envelope = acme.envelope("github.com/acme/robot", "robot.tar")
    verdict = decide(acme.submission("github.com/acme/robot", "robot.tar", envelope, NOW), policy, NOW)
    repos: InMemoryProjectionStore[SlsaRepoStatus] = InMemoryProjectionStore()
    registry = CollectorRegistry()
    deps = Deps(
        policies=InMemoryPolicyBook({}),
        repos=repos,
        verdicts=RecordingBatchPublisher(),
        dead_letter=None,  # type: ignore[arg-type]
        metrics=SlsaMetrics(registry),
        clock=lambda: NOW,
    )
    assert await on_verdicts([verdict], deps, target_l3=8) == 1
    assert registry.get_sample_value("trustportal_slsa_repos_at_l3") == 1.0
    assert await on_verdicts([verdict], deps, target_l3=8) == 0  # a redelivery changes nothing
    [row] = repos.docs.values()
    assert row.at_l3 and row.repo == "github.com/acme/robot"


async def test_a_trust_policy_update_is_kept_only_when_newer_than_the_one_in_force():
    from datetime import timedelta

    from slsa_watch.handlers import on_policy
    from slsa_watch.policies import PolicyBook

    acme = Signer("acme")
    book = PolicyBook(InMemoryProjectionStore(), ttl_s=60)
    deps = Deps(
        policies=book, repos=None, verdicts=RecordingBatchPublisher(), dead_letter=None,  # type: ignore[arg-type]
        metrics=SlsaMetrics(CollectorRegistry()), clock=lambda: NOW,
    )  # fmt: skip
    assert await book.policy("acme") is None
    await on_policy(acme.policy(["github.com/acme/robot"], NOW), deps)
    newer = await book.policy("acme")
    await on_policy(acme.policy(["github.com/acme/other"], NOW - timedelta(hours=1)), deps)
    assert newer is not None and await book.policy("acme") == newer
