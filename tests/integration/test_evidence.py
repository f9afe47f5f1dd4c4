"""The evidence service on the real stack: evidence in, a signed pack in GridFS and the ledger out,
verified offline by `evidence verify`, with each tampering detected and named."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence.app import build_app
from evidence.settings import EvidenceSettings
from evidence.store import export_pack
from prometheus_client import generate_latest
from pydantic import SecretStr
from pymongo import MongoClient
from schemas.evidence import PackRequested, PackRequestedData
from schemas.tenant import TenantOnboarded, TenantOnboardedData
from service_kit.testing.launcher import env_for
from service_kit.testing.provenance import Signer
from slsa_watch.domain import decide, policy_of

from schemas import topics
from tests.integration.conftest import KAFKA, MONGO
from tests.integration.support import consumed, eventually, publisher, read_topic

BIN = Path(sys.executable).parent
NOW = datetime.now(UTC)
PERIOD = NOW.strftime("%Y-%m")


@pytest.fixture
def evidence_settings() -> EvidenceSettings:
    run = uuid.uuid4().hex[:10]
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return EvidenceSettings(
        kafka_bootstrap=KAFKA, mongo_uri=MONGO, mongo_db=f"it_{run}", topic_prefix=f"it-{run}.",
        signing_key=SecretStr(pem.decode()), handler_max_attempts=2, handler_backoff_s=0.01,
    )  # fmt: skip


@pytest.fixture
def db(evidence_settings):
    client: MongoClient = MongoClient(MONGO, tz_aware=True)
    yield client[evidence_settings.mongo_db]
    client.drop_database(evidence_settings.mongo_db)
    client.close()


@pytest.fixture
async def service(evidence_settings, db):
    app = build_app(evidence_settings)
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
async def send(evidence_settings):
    async with publisher(evidence_settings, topics.EVIDENCE_REQUESTS) as publish:
        yield publish


def request(tenant: str) -> PackRequested:
    rid = str(uuid.uuid4())
    data = PackRequestedData(
        pack_request_id=rid, period=PERIOD, requested_by="aud@acme", requested_at=datetime.now(UTC)
    )
    return PackRequested.create(
        data=data, source="/services/portal-api", tenantid=tenant, time=datetime.now(UTC), id=rid
    )


async def outcomes(settings, count: int) -> list[dict]:
    found: list[dict] = []

    async def arrived() -> bool:
        found[:] = [json.loads(r.value) for r in await read_topic(settings, topics.EVIDENCE_EVENTS, idle_s=0.3)]
        return len(found) >= count

    await eventually(arrived, timeout=60, what=f"{count} pack outcomes")
    return found


async def seed_evidence(send, db) -> int:
    """A tenant's verdicts, trust policy and onboarding fact; returns how many evidence items were sent."""
    acme = Signer("acme")
    repos = [f"github.com/acme/r{i}" for i in range(5)]
    policy = acme.policy(repos, NOW)
    await send(policy, topics.POLICY_EVENTS)
    for repo in repos:
        submission = acme.submission(repo, f"{repo[-2:]}.tar", acme.envelope(repo, f"{repo[-2:]}.tar"), NOW)
        await send(decide(submission, policy_of(policy), NOW), topics.PROVENANCE_EVENTS)
    onboarded = TenantOnboardedData(
        slug="acme", cohort="w1", requested_at=NOW, onboarded_at=NOW, time_to_first_verify_s=1.0
    )
    await send(TenantOnboarded.create(data=onboarded, source="/services/onboarding", tenantid="acme", time=NOW),
               topics.TENANT_EVENTS)  # fmt: skip
    await eventually(lambda: db["evidence_items"].count_documents({}) == 7, what="seven evidence items")
    return 7


async def test_a_requested_pack_is_built_signed_stored_ledgered_and_verifies_offline(
    service, send, db, evidence_settings, tmp_path, monkeypatch
):
    await send(b'{"specversion": "1.0", "type": "io.trustportal.tenant.onboarded.v1"}', topics.TENANT_EVENTS)
    items = await seed_evidence(send, db)  # the poison record beside them costs nothing
    dead = await read_topic(evidence_settings, topics.dlq(topics.TENANT_EVENTS), idle_s=0.5)
    assert len(dead) == 1 and dict(dead[0].headers)["x-dlq-error-type"] == b"ValidationError"
    await send(request("acme"), topics.EVIDENCE_REQUESTS)
    await send(request("nobody"), topics.EVIDENCE_REQUESTS)
    found = await outcomes(evidence_settings, 2)
    built = next(e for e in found if e["type"].endswith("pack-built.v1"))
    failed = next(e for e in found if e["type"].endswith("pack-failed.v1"))
    assert failed["tenantid"] == "nobody" and "no evidence of nobody" in failed["data"]["reason"]
    assert built["data"]["item_count"] == items and built["data"]["ledger_index"] == 0
    assert built["data"]["time_to_pack_s"] >= 0
    assert "trustportal_evidence_time_to_pack_quantile_seconds" in generate_latest(service.registry).decode()

    for name, value in env_for(evidence_settings).items():
        monkeypatch.setenv(name, value)
    files = await export_pack(built["data"]["pack_id"])
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    archive_name = next(n for n in files if n.endswith(".tar"))
    assert hashlib.sha256(files[archive_name]).hexdigest() == built["data"]["sha256"]

    def verify(*overrides: tuple[str, bytes]) -> subprocess.CompletedProcess[str]:
        work = tmp_path / uuid.uuid4().hex
        work.mkdir()
        for name, data in {**files, **dict(overrides)}.items():
            (work / name).write_bytes(data)
        pack = work / archive_name
        return subprocess.run(
            [str(BIN / "evidence"), "verify", str(pack), "--key", str(work / "platform-key.pem"),
             "--proof", f"{pack}.proof.json", "--tree-head", f"{pack}.tree-head.json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    good = verify()
    assert good.returncode == 0 and "VERIFIED" in good.stdout and "FAIL" not in good.stdout, good.stdout

    def flipped(data: bytes, at: int) -> bytes:
        out = bytearray(data)
        out[at] ^= 0x01
        return bytes(out)

    archive = files[archive_name]
    manifest_at = archive.index(b'{"item_count"')  # the manifest's bytes inside the archive
    item_at = archive.index(b'"repo":"github.com/acme/r3"')  # one item's bytes
    proof_doc = files[f"{archive_name}.proof.json"]
    head_doc = files[f"{archive_name}.tree-head.json"]
    cases = {
        "stored pack (an item)": ((archive_name, flipped(archive, item_at + 10)), "FAIL item items/provenance/"),
        "manifest": ((archive_name, flipped(archive, manifest_at + 14)), "FAIL statement manifest"),  # its item count
        "ledger entry": ((f"{archive_name}.proof.json",
                          flipped(proof_doc, proof_doc.index(b'"subject": "') + 14)), "FAIL ledger entry"),
        "tree head": ((f"{archive_name}.tree-head.json",
                       flipped(head_doc, head_doc.index(b'"timestamp": "') + 16)), "FAIL tree head"),
    }  # fmt: skip
    for what, (override, named) in cases.items():
        result = verify(override)
        assert result.returncode == 1 and "NOT VERIFIED" in result.stdout, (what, result.stdout)
        assert named in result.stdout, (what, result.stdout)


async def test_the_same_evidence_gives_the_same_pack_and_one_ledger_entry(service, send, db, evidence_settings):
    await seed_evidence(send, db)
    await send(request("acme"), topics.EVIDENCE_REQUESTS)
    await send(request("acme"), topics.EVIDENCE_REQUESTS)
    found = await outcomes(evidence_settings, 2)
    assert len({e["data"]["sha256"] for e in found}) == 1 and len({e["data"]["pack_id"] for e in found}) == 1
    assert db["ledger_entries"].count_documents({}) == 1
    assert db[f"{evidence_settings.bucket}.files"].count_documents({}) == 1


async def test_the_monthly_schedule_requests_every_tenants_pack_and_the_ledger_proves_it_only_grew(
    service, send, db, evidence_settings, tmp_path
):
    await seed_evidence(send, db)
    beta = TenantOnboardedData(slug="beta", cohort="w1", requested_at=NOW, onboarded_at=NOW, time_to_first_verify_s=2.0)
    await send(TenantOnboarded.create(data=beta, source="/services/onboarding", tenantid="beta", time=NOW),
               topics.TENANT_EVENTS)  # fmt: skip
    await eventually(lambda: db["evidence_items"].count_documents({}) == 8, what="beta's evidence")
    env = env_for(evidence_settings)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "evidence"), *args], env=env, capture_output=True, text=True, check=False)

    scheduled = cli("schedule", "--period", PERIOD)
    assert scheduled.returncode == 0 and "of 2 tenant(s): acme, beta" in scheduled.stdout, scheduled.stdout
    built = await outcomes(evidence_settings, 2)
    assert sorted(e["tenantid"] for e in built) == ["acme", "beta"]
    assert all(e["type"].endswith("pack-built.v1") for e in built)
    assert cli("schedule", "--period", "2026-13").returncode == 2

    first = min(e["data"]["tree_size"] for e in built)
    exported = cli("consistency", str(first), "--out", str(tmp_path))
    assert exported.returncode == 0, exported.stderr
    key = tmp_path / "platform-key.pem"
    key.write_text(evidence_settings.platform_key().public_pem())
    files = [str(tmp_path / n) for n in ("old-tree-head.json", "new-tree-head.json", "consistency-proof.json")]
    good = cli("verify-consistency", *files, "--key", str(key))
    assert good.returncode == 0 and f"tree {first} -> 2: CONSISTENT" in good.stdout, good.stdout
    old = json.loads((tmp_path / "old-tree-head.json").read_text())
    (tmp_path / "old-tree-head.json").write_text(json.dumps({**old, "root_hash": "00" * 32}))  # a rewritten history
    forged = cli("verify-consistency", *files, "--key", str(key))
    assert forged.returncode == 1 and "FAIL older tree head" in forged.stdout and "FAIL consistency" in forged.stdout


async def test_a_strangers_request_for_a_reserved_or_invalid_slug_changes_no_tenants_pack(
    service, send, db, evidence_settings
):
    """What onboarding publishes for hostile requests (and a forged platform event) is nobody's evidence."""
    from evidence.items import stored
    from evidence.pack import build as build_pack
    from onboarding.domain import Rules
    from onboarding.domain import decide as onboard
    from schemas.policy import PolicyBundlePublished, PolicyBundlePublishedData
    from schemas.tenant import TenantRequested, TenantRequestedData

    acme = Signer("acme")
    policy = acme.policy(["github.com/acme/r0"], NOW)
    submission = acme.submission("github.com/acme/r0", "r0.tar", acme.envelope("github.com/acme/r0", "r0.tar"), NOW)
    onboarded = TenantOnboardedData(slug="acme", cohort="w1", requested_at=NOW, onboarded_at=NOW,
                                    time_to_first_verify_s=1.0)  # fmt: skip
    bundle = PolicyBundlePublishedData(bundle="portal", version="abc", sha256="a" * 64, modules=("authz.rego",),
                                       published_at=NOW)  # fmt: skip
    baseline = [
        (policy, topics.POLICY_EVENTS),
        (decide(submission, policy_of(policy), NOW), topics.PROVENANCE_EVENTS),
        (TenantOnboarded.create(data=onboarded, source="/services/onboarding", tenantid="acme", time=NOW),
         topics.TENANT_EVENTS),
        (PolicyBundlePublished.create(data=bundle, source="/services/portal-api", tenantid="platform", time=NOW),
         topics.POLICY_EVENTS),
    ]  # fmt: skip
    attack = "<script>alert(1)</script> wire 10,000 EUR to IBAN DE00 0000"
    hostile = []
    for slug in ("platform", "Platform!", "acme\u200b", "x" * 300):
        data = TenantRequestedData(slug=slug, display_name=attack, webhook_url=f"https://evil.example/{attack}",
                                   contact_email=attack, plan=attack, cohort=attack, requested_at=NOW)  # fmt: skip
        requested = TenantRequested.create(data=data, source="/partners/x", tenantid="_intake", time=NOW)
        hostile += onboard(None, requested, now=NOW, sealed_secret="s", rules=Rules()).facts
    assert hostile and all(fact.tenantid == "_intake" for fact in hostile)  # no tenant's id, not even the platform's
    forged = TenantOnboardedData(slug="platform", cohort=attack[:60], requested_at=NOW, onboarded_at=NOW,
                                 time_to_first_verify_s=0.0)  # fmt: skip
    hostile.append(TenantOnboarded.create(data=forged, source="/services/onboarding", tenantid="platform", time=NOW))

    for fact in hostile:
        await send(fact, topics.TENANT_EVENTS)
    for event, topic in baseline:
        await send(event, topic)
    await eventually(lambda: db["evidence_items"].count_documents({}) >= len(baseline), what="the baseline evidence")
    await consumed(evidence_settings, evidence_settings.collect_group_id, topics.TENANT_EVENTS)
    await send(request("acme"), topics.EVIDENCE_REQUESTS)
    [built] = await outcomes(evidence_settings, 1)

    items = [stored(event.to_json()) for event, _ in baseline]
    expected = build_pack("acme", PERIOD, [i.item() for i in items if i is not None])
    assert built["data"]["pack_id"] == expected.pack_id and built["data"]["sha256"] == expected.sha256
    assert built["data"]["item_count"] == len(baseline)
    assert db["evidence_items"].count_documents({}) == len(baseline)
