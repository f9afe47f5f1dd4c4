"""SLSA watch on the real stack: trust policies and submissions in, verdicts and the SLSA map out."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from pymongo import MongoClient
from schemas.provenance import MAX_ENVELOPE_BYTES, VERDICT, ProvenanceRejected, ProvenanceVerdict, ProvenanceVerified
from schemas.read_models import SlsaRepoStatus
from schemas.runner import (
    HermeticJobFinished,
    HermeticJobFinishedData,
    HermeticJobQueued,
    HermeticJobQueuedData,
    HermeticJobStarted,
    HermeticJobStartedData,
)
from service_kit.testing.provenance import HOSTED_BUILDER, UNTRUSTED_BUILDER, Signer
from slsa_watch import projections
from slsa_watch.app import SlsaWatch, build_app
from slsa_watch.settings import SlsaWatchSettings

from schemas import topics
from tests.integration.conftest import KAFKA, MONGO
from tests.integration.support import eventually, publisher, read_topic

NOW = datetime.now(UTC)
ACME = ["github.com/acme/robot", "github.com/acme/arm", "github.com/acme/eye", "github.com/acme/leg"]


@pytest.fixture
def slsa_settings() -> SlsaWatchSettings:
    run = uuid.uuid4().hex[:10]
    return SlsaWatchSettings(
        kafka_bootstrap=KAFKA, mongo_uri=MONGO, mongo_db=f"it_{run}", topic_prefix=f"it-{run}.",
        handler_max_attempts=2, handler_backoff_s=0.01, policy_cache_s=0.0, target_l3_repos=2,
    )  # fmt: skip


@pytest.fixture
def db(slsa_settings):
    client: MongoClient = MongoClient(MONGO, tz_aware=True)
    yield client[slsa_settings.mongo_db]
    client.drop_database(slsa_settings.mongo_db)
    client.close()


@pytest.fixture
async def watch(slsa_settings, db) -> AsyncIterator[SlsaWatch]:
    service = build_app(slsa_settings)
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def send(slsa_settings):
    async with publisher(slsa_settings, topics.PROVENANCE_SUBMITTED) as publish:
        yield publish


def rejected(verdict: ProvenanceVerdict) -> ProvenanceRejected:
    """The verdict, which must be a rejection."""
    assert isinstance(verdict, ProvenanceRejected), verdict
    return verdict


async def verdicts(settings, count: int) -> dict[str, ProvenanceVerdict]:
    """The verdicts on provenance.events.v1 by submission id, once `count` have arrived."""
    found: dict[str, ProvenanceVerdict] = {}

    async def arrived() -> bool:
        records = await read_topic(settings, topics.PROVENANCE_EVENTS, idle_s=0.3)
        found.clear()
        for r in records:
            verdict = VERDICT.validate_json(r.value)
            found[verdict.data.submission_id] = verdict
        return len(records) >= count

    await eventually(arrived, timeout=60, what=f"{count} verdicts")
    return found


async def registered(send, db, signer: Signer, repos: list[str]) -> None:
    await send(signer.policy(repos, NOW), topics.POLICY_EVENTS)
    await eventually(lambda: db["slsa_policies"].find_one({"_id": signer.tenant}) is not None, what="the policy")


async def test_submissions_get_verdicts_with_levels_every_failed_check_and_a_slsa_map(watch, send, db, slsa_settings):
    acme = Signer("acme")
    await registered(send, db, acme, ACME)
    tampered = json.loads(acme.envelope(ACME[3], "leg-1.0.tar.gz"))
    tampered["signatures"][0]["sig"] = base64.b64encode(b"\0" * 64).decode()
    cases = {
        "l3": acme.submission(ACME[0], "robot-1.0.tar.gz", acme.envelope(ACME[0], "robot-1.0.tar.gz"), NOW),
        "l2": acme.submission(
            ACME[1], "arm-2.1.tar.gz", acme.envelope(ACME[1], "arm-2.1.tar.gz", builder=HOSTED_BUILDER,
                                                     hermetic=False, pinned=False), NOW),
        "untrusted": acme.submission(
            ACME[2], "eye.bin", acme.envelope("github.com/evil/fork", "other.bin", builder=UNTRUSTED_BUILDER), NOW),
        "tampered": acme.submission(ACME[3], "leg-1.0.tar.gz", json.dumps(tampered), NOW),
    }  # fmt: skip
    for submission in cases.values():
        await send(submission)
    found = await verdicts(slsa_settings, len(cases))
    by_case = {name: found[s.data.submission_id] for name, s in cases.items()}

    l3 = by_case["l3"]
    assert isinstance(l3, ProvenanceVerified) and l3.data.build_level == 3
    assert l3.data.hermetic and l3.data.dependencies_pinned and l3.data.signed_by == "release-2026"
    assert l3.data.policy_id == "policy-1"
    l2 = by_case["l2"]
    assert isinstance(l2, ProvenanceVerified) and l2.data.build_level == 2
    assert not l2.data.hermetic and not l2.data.dependencies_pinned
    untrusted = by_case["untrusted"]
    assert isinstance(untrusted, ProvenanceRejected)
    reasons = " | ".join(untrusted.data.reasons)
    assert "subject: no subject has sha256" in reasons
    assert f"builder: {UNTRUSTED_BUILDER} is not a builder the tenant trusts" in reasons
    assert "github.com/evil/fork is not an expected source repository" in reasons
    assert len(untrusted.data.reasons) == 4, untrusted.data.reasons  # subject, builder, expected source, submitted
    tampered_verdict = by_case["tampered"]
    assert isinstance(tampered_verdict, ProvenanceRejected) and tampered_verdict.data.build_level == 0
    assert tampered_verdict.data.reasons[0].startswith("signature:")

    async def mapped() -> bool:
        return bool(db["slsa_repos"].count_documents({"tenant": "acme"}) == 4)

    await eventually(mapped, what="four SLSA map rows")
    rows = {r["repo"]: SlsaRepoStatus.model_validate(r) for r in db["slsa_repos"].find({"tenant": "acme"})}
    assert rows[ACME[0]].at_l3 and rows[ACME[0]].last_artifact_sha256 == l3.data.artifact_sha256
    assert rows[ACME[1]].build_level == 2 and not rows[ACME[1]].at_l3
    assert rows[ACME[2]].last_outcome == "rejected" and rows[ACME[2]].build_level == 0
    adoption = projections.adoption(await watch.deps.repos.find({}), watch.settings.target_l3_repos)
    assert (adoption.repos, adoption.at_l3, adoption.rejected_last) == (4, 1, 2)
    assert not adoption.met  # target 2 in this test


async def test_a_later_rejection_shows_beside_the_last_verified_level(watch, send, db, slsa_settings):
    acme = Signer("acme")
    await registered(send, db, acme, ACME)
    good = acme.submission(ACME[0], "robot-1.0.tar.gz", acme.envelope(ACME[0], "robot-1.0.tar.gz"), NOW)
    await send(good)
    await verdicts(slsa_settings, 1)
    bad = acme.submission(ACME[0], "robot-1.1.tar.gz", acme.envelope(ACME[0], "robot-1.0.tar.gz"),
                          NOW + timedelta(minutes=1))  # fmt: skip
    await send(bad)
    await verdicts(slsa_settings, 2)

    async def rejected_last() -> bool:
        row = db["slsa_repos"].find_one({"_id": f"acme/{ACME[0]}"})
        return row is not None and row["last_outcome"] == "rejected"

    await eventually(rejected_last, what="the rejection in the map")
    row = SlsaRepoStatus.model_validate(db["slsa_repos"].find_one({"_id": f"acme/{ACME[0]}"}))
    assert row.build_level == 3 and not row.at_l3  # what it last proved, and that its newest release failed
    assert row.last_reasons and row.last_reasons[0].startswith("subject:")


async def test_hostile_input_gets_a_verdict_or_the_dlq_and_never_stops_the_service(watch, send, db, slsa_settings):
    acme = Signer("acme")
    await registered(send, db, acme, ACME)

    def submitted(envelope: str, artifact: str = "robot-1.0.tar.gz"):
        return acme.submission(ACME[0], artifact, envelope, NOW)

    good = json.loads(acme.envelope(ACME[0], "robot-1.0.tar.gz"))
    statement = base64.b64decode(good["payload"])
    unknown = {**json.loads(statement), "predicateType": "https://example.com/made-up/v9"}
    hostile = {
        "bad base64": submitted(json.dumps({**good, "payload": "%%% not base64 %%%"})),
        "malformed json": submitted('{"payloadType": "application/vnd.in-toto+json", "payload": '),
        "wrong payload type": submitted(acme.sign(statement, "text/plain")),
        "unknown predicate": submitted(acme.sign(json.dumps(unknown).encode())),
        "oversized": submitted(json.dumps({**good, "payload": "A" * (MAX_ENVELOPE_BYTES + 10)})),
        "no policy": Signer("stranger").submission("github.com/x/y", "y", acme.envelope(ACME[0], "y"), NOW),
    }  # fmt: skip
    duplicate = submitted(json.dumps(good))
    await send(b"\xff\xfe not json at all")
    await send(b'{"specversion": "1.0", "type": "io.trustportal.provenance.submitted.v1"}')
    for event in [*hostile.values(), duplicate, duplicate]:
        await send(event)

    found = await verdicts(slsa_settings, len(hostile) + 2)
    reasons = {name: " | ".join(rejected(found[e.data.submission_id]).data.reasons) for name, e in hostile.items()}
    assert reasons["bad base64"].startswith("envelope:") and "base64" in reasons["bad base64"]
    assert reasons["malformed json"].startswith("envelope:")
    assert "text/plain" in reasons["wrong payload type"]
    assert "made-up/v9" in reasons["unknown predicate"]
    assert f"over the limit of {MAX_ENVELOPE_BYTES:,}" in reasons["oversized"]
    assert "registered no trust policy" in reasons["no policy"]
    # the duplicate: two deliveries, one verdict id, verified
    records = await read_topic(slsa_settings, topics.PROVENANCE_EVENTS, idle_s=0.3)
    ids = [VERDICT.validate_json(r.value) for r in records]
    twice = [v for v in ids if v.data.submission_id == duplicate.data.submission_id]
    assert len(twice) == 2 and twice[0].id == twice[1].id and twice[0].type.endswith("verified.v1")
    # the two undecodable records: in the DLQ with the reason, nothing else there
    dead = await read_topic(slsa_settings, topics.dlq(topics.PROVENANCE_SUBMITTED), idle_s=0.5)
    assert len(dead) == 2
    assert all(dict(r.headers)["x-dlq-error-type"] == b"ValidationError" for r in dead)
    # and the service is still verifying
    after = submitted(acme.envelope(ACME[0], "robot-2.0.tar.gz"), "robot-2.0.tar.gz")
    await send(after)
    assert (await verdicts(slsa_settings, len(hostile) + 3))[after.data.submission_id].type.endswith("verified.v1")


async def test_runner_events_give_pool_figures_a_saturation_signal_and_gauges(slsa_settings, db, send):
    settings = slsa_settings.model_copy(update={"runner_pools": {"hermetic-linux": 2}, "runner_wait_bound_s": 120.0,
                                                "runner_tick_s": 0.5})  # fmt: skip
    service = build_app(settings)
    await service.start()
    try:
        now = datetime.now(UTC)

        def event(kind, data, minutes_ago: float, job_id: str, **fields):
            at = now - timedelta(minutes=minutes_ago)
            base = {"job_id": job_id, "pool": "hermetic-linux", "concurrency_group": "hermetic-refs/heads/main",
                    "repo": "github.com/acme/robot"}  # fmt: skip
            return kind.create(data=data(**base, **{k: at for k in fields}), source="/ci", tenantid="acme", time=at)

        # one job that waited 30 s and runs (within the bound whichever batch its events land in)
        await send(event(HermeticJobQueued, HermeticJobQueuedData, 1.5, "j1", queued_at=1), topics.RUNNER_EVENTS)
        await send(event(HermeticJobStarted, lambda **f: HermeticJobStartedData(runner="r1", **f), 1, "j1",
                         started_at=1), topics.RUNNER_EVENTS)  # fmt: skip

        async def running() -> bool:
            doc = db["runner_pools"].find_one({"_id": "hermetic-linux"})
            return doc is not None and doc["running"] == 1

        await eventually(running, what="the running job in the pool snapshot")
        for n in range(3):  # three jobs waiting 5 minutes: saturated (bound 2 minutes)
            await send(event(HermeticJobQueued, HermeticJobQueuedData, 5, f"w{n}", queued_at=1), topics.RUNNER_EVENTS)

        async def saturated() -> bool:
            doc = db["runner_pools"].find_one({"_id": "hermetic-linux"})
            return doc is not None and doc["queue_depth"] == 3 and doc["saturated"]

        await eventually(saturated, what="a saturated pool snapshot")
        snap = db["runner_pools"].find_one({"_id": "hermetic-linux"})
        assert snap["running"] == 1 and snap["wait_p95_s"] >= 300 and 0 < snap["utilisation"] <= 1
        signals = [r for r in await read_topic(settings, topics.RUNNER_EVENTS, idle_s=0.5)
                   if json.loads(r.value)["type"].endswith("queue-saturated.v1")]  # fmt: skip
        alert = json.loads(signals[0].value)
        assert len(signals) == 1 and alert["tenantid"] == "platform"  # once, when the bound was first crossed
        assert alert["data"]["wait_p95_s"] > alert["data"]["bound_s"] == 120.0 and alert["data"]["queue_depth"] >= 1
        metrics = generate_latest(service.registry).decode()
        assert 'trustportal_runner_saturated{pool="hermetic-linux"} 1.0' in metrics
        assert 'trustportal_runner_queue_depth{pool="hermetic-linux"} 3.0' in metrics

        for n in range(3):  # the queue drains: recovered, signalled once
            await send(event(HermeticJobFinished, lambda **f: HermeticJobFinishedData(outcome="cancelled", **f), 0,
                             f"w{n}", finished_at=1), topics.RUNNER_EVENTS)  # fmt: skip

        async def recovered() -> bool:
            records = await read_topic(settings, topics.RUNNER_EVENTS, idle_s=0.3)
            return any(json.loads(r.value)["type"].endswith("queue-recovered.v1") for r in records)

        await eventually(recovered, what="RunnerQueueRecovered")
        assert db["runner_jobs"].count_documents({}) == 4
    finally:
        await service.stop()


async def test_the_roles_split_the_consumers(slsa_settings):
    def consumed(role: str) -> set[str]:
        service = build_app(slsa_settings.model_copy(update={"role": role}))
        names = [t.name if hasattr(t, "name") else t for s in service.broker.subscribers for t in s.topics]  # type: ignore[attr-defined]
        return {n.removeprefix(slsa_settings.topic_prefix) for n in names}

    verifier, projector = consumed("verifier"), consumed("projector")
    assert verifier == {topics.PROVENANCE_SUBMITTED, topics.POLICY_EVENTS}
    assert projector == {topics.PROVENANCE_EVENTS, topics.RUNNER_EVENTS}
    assert consumed("all") == verifier | projector
