"""Benchmark: 10,000 provenance submissions through Kafka to verdicts, against raw signature checks in one process.

slsa-watch runs as deployed (its console script, one process, the manifests' trace sampler) on the
local stack. The script registers
four tenants' trust policies, then publishes 10,000 signed submissions (in-toto Statement v1, SLSA
provenance v1, Ed25519; a tenth of them tampered, so both verdicts are exercised) to
provenance.submitted.v1 as fast as the producer goes, and counts verdicts on provenance.events.v1.
Figure: verdicts/s from the first submission sent to the last verdict received. Baseline, same run:
the DSSE signature verifications/s of the same envelopes in this process (parse + PAE + Ed25519).
It also prints the CPU cost of one typical submission beside the worst one an attacker can send
(maximal signatures x keys x envelope size; target: <= 10 ms).

    make bench-slsa       (or: uv run python bench/slsa/run.py [--submissions N])
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pymongo import MongoClient
from schemas.envelope import CONTENT_TYPE, CloudEvent
from schemas.provenance import MAX_ENVELOPE_BYTES, VERDICT
from service_kit.testing.launcher import ServiceProcess, env_for, free_port
from service_kit.testing.provenance import HOSTED_BUILDER, Signer
from slsa_watch.dsse import MAX_SIGNATURES, load_key, parse, verify
from slsa_watch.errors import EnvelopeError
from slsa_watch.settings import SlsaWatchSettings
from slsa_watch.verdict import IN_TOTO, BuilderRule, TrustPolicy, judge

from schemas import topics

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results/slsa.json"
TARGET_RATE = 1000.0
WORST_CPU_MS = 10.0
MAX_POLICY_KEYS = 50  # a trust policy registers at most 50 keys (the portal's limit)
TENANTS = ("acme", "bluefin", "cobalt", "delta")


def workload(n: int) -> tuple[list[Signer], list[CloudEvent], list[str]]:
    """Four tenants' signers and policies' events, and `n` submissions (every tenth tampered)."""
    now = datetime.now(UTC)
    signers = [Signer(t) for t in TENANTS]
    submissions: list[CloudEvent] = []
    envelopes: list[str] = []
    for i in range(n):
        signer = signers[i % len(signers)]
        repo = f"github.com/{signer.tenant}/service-{i % 25}"
        artifact = f"service-{i}.tar.gz"
        builder = HOSTED_BUILDER if i % 3 == 0 else None
        envelope = signer.envelope(repo, artifact, builder=builder) if builder else signer.envelope(repo, artifact)
        if i % 10 == 9:  # tampered: the signature no longer covers the payload
            doc = json.loads(envelope)
            doc["payload"] = doc["payload"][:-8] + "AAAAAAA="
            envelope = json.dumps(doc)
        envelopes.append(envelope)
        submissions.append(signer.submission(repo, artifact, envelope, now))
    return signers, submissions, envelopes


def raw_verifications_per_second(signers: list[Signer], envelopes: list[str]) -> float:
    """DSSE signature checks/s of the same envelopes, in this process (no Kafka, no policy, no JSON out)."""
    keys = {s.tenant: [load_key(s.key_id, s.public_pem)] for s in signers}
    began = time.perf_counter()
    for i, envelope in enumerate(envelopes):
        with contextlib.suppress(EnvelopeError):  # the tampered tenth fails, as it does in the service
            verify(parse(envelope), keys[TENANTS[i % len(TENANTS)]])
    return len(envelopes) / (time.perf_counter() - began)


async def run_through_kafka(
    settings: SlsaWatchSettings, policies: Sequence[CloudEvent], submissions: Sequence[CloudEvent]
) -> dict[str, float]:
    """Publish the submissions and wait for as many verdicts; verdicts/s from the first send to the last verdict."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
    )
    consumer = AIOKafkaConsumer(
        settings.topic(topics.PROVENANCE_EVENTS), bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
    )  # fmt: skip
    await producer.start()
    await consumer.start()
    try:
        headers = [("content-type", CONTENT_TYPE.encode())]
        for policy in policies:
            await producer.send_and_wait(
                settings.topic(topics.POLICY_EVENTS), policy.to_json(), key=policy.tenantid.encode(), headers=headers
            )
        with MongoClient(settings.mongo_uri) as mongo:
            deadline = time.monotonic() + 30
            while mongo[settings.mongo_db]["slsa_policies"].count_documents({}) < len(policies):
                if time.monotonic() > deadline:
                    raise SystemExit("bench: slsa-watch did not record the trust policies")
                await asyncio.sleep(0.1)
        topic = settings.topic(topics.PROVENANCE_SUBMITTED)
        began = time.perf_counter()
        futures = [
            await producer.send(topic, s.to_json(), key=s.tenantid.encode(), headers=headers) for s in submissions
        ]
        await asyncio.gather(*futures)
        sent = time.perf_counter() - began
        seen: set[str] = set()
        verified = 0
        while len(seen) < len(submissions):
            batch = await consumer.getmany(timeout_ms=30_000)
            if not batch:
                raise SystemExit(f"bench: no verdict for 30 s ({len(seen)} of {len(submissions)})")
            for records in batch.values():
                for record in records:
                    verdict = VERDICT.validate_json(record.value)
                    if verdict.data.submission_id not in seen:
                        seen.add(verdict.data.submission_id)
                        verified += verdict.type.endswith("verified.v1")
        elapsed = time.perf_counter() - began
    finally:
        await consumer.stop()
        await producer.stop()
    return {
        "verdicts": len(seen),
        "verified": verified,
        "seconds": elapsed,
        "publish_seconds": sent,
        "verdicts_per_s": len(seen) / elapsed,
    }


def cpu_ms_per_judgement(envelope: str, sha256: str, repo: str, policy: TrustPolicy, runs: int) -> float:
    """CPU milliseconds one submission costs the verifier (parse, signature checks, provenance), median of runs."""
    samples = []
    for _ in range(runs):
        began = time.process_time()
        judge(envelope, sha256, repo, policy)
        samples.append((time.process_time() - began) * 1000)
    return sorted(samples)[len(samples) // 2]


def verification_cost() -> dict[str, float]:
    """The CPU cost of a typical submission and of the worst one an attacker can send.

    Worst: as many signatures as an envelope may carry, none verifying, against a tenant with as many
    keys as a policy may register (half of them ECDSA P-256), in an envelope just under the size limit.
    """
    signer = Signer("acme")
    repo = "github.com/acme/service"
    keys = [load_key(signer.key_id, signer.public_pem)]
    for i in range(MAX_POLICY_KEYS - 1):
        private = ed25519.Ed25519PrivateKey.generate() if i % 2 else ec.generate_private_key(ec.SECP256R1())
        pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        keys.append(load_key(f"k{i}", pem))
    policy = TrustPolicy(keys=tuple(keys), builders=(BuilderRule(HOSTED_BUILDER),), source_repositories=(repo,))
    typical = signer.envelope(repo, "service.tar.gz")
    sha256 = signer.submission(repo, "service.tar.gz", typical, datetime.now(UTC)).data.artifact_sha256
    junk = base64.b64encode(b"\x00" * 64).decode()
    signatures = [{"keyid": "", "sig": junk} for _ in range(MAX_SIGNATURES)]
    room = MAX_ENVELOPE_BYTES - len(json.dumps({"payloadType": IN_TOTO, "payload": "", "signatures": signatures}))
    payload = base64.b64encode(b"{" * (room * 3 // 4 - 16)).decode()
    worst = json.dumps({"payloadType": IN_TOTO, "payload": payload, "signatures": signatures})
    assert len(worst) <= MAX_ENVELOPE_BYTES, len(worst)
    return {
        "typical_cpu_ms": cpu_ms_per_judgement(typical, sha256, repo, policy, runs=200),
        "worst_cpu_ms": cpu_ms_per_judgement(worst, sha256, repo, policy, runs=20),
        "worst_envelope_bytes": len(worst),
        "worst_signatures": MAX_SIGNATURES,
        "worst_keys": len(keys),
    }


def deployed_tracing() -> dict[str, str]:
    """The trace sampler the Kubernetes manifests configure, so the benchmark measures what runs."""
    config = yaml.safe_load((ROOT / "deploy/k8s/base/slsa-watch/configmap.yaml").read_text())["data"]
    return {k: v for k, v in config.items() if k.startswith("OTEL_TRACES_SAMPLER")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    settings = SlsaWatchSettings(mongo_db=f"bench_{run}", topic_prefix=f"bench-{run}.", log_level="WARNING")
    signers, submissions, envelopes = workload(args.submissions)
    policies = [s.policy([f"github.com/{s.tenant}/service-{i}" for i in range(25)], datetime.now(UTC)) for s in signers]
    logs = ROOT / ".local/bench"
    logs.mkdir(parents=True, exist_ok=True)
    env = env_for(settings, **deployed_tracing())
    log = logs / "slsa-watch.log"
    service = ServiceProcess(env, log, port=free_port(), command="slsa-watch", port_env="SLSA_WATCH_HTTP_PORT")
    service.start(timeout_s=60)
    try:
        e2e = asyncio.run(run_through_kafka(settings, policies, submissions))
    finally:
        service.stop()
        with MongoClient(settings.mongo_uri) as mongo:
            mongo.drop_database(settings.mongo_db)
    raw = raw_verifications_per_second(signers, envelopes)
    ratio = e2e["verdicts_per_s"] / raw
    cost = verification_cost()
    print(f"\nslsa-watch: {e2e['verdicts']:,} submissions through Kafka to verdicts ({e2e['verified']:,} verified, "
          f"the rest rejected)")  # fmt: skip
    print(f"  end to end: {e2e['verdicts_per_s']:,.0f} verdicts/s ({e2e['seconds']:.2f} s; publishing took "
          f"{e2e['publish_seconds']:.2f} s) (target >= {TARGET_RATE:,.0f}/s)")  # fmt: skip
    print(f"  baseline, same envelopes in one process: {raw:,.0f} signature verifications/s")
    print(f"  ratio end to end / raw verification: {ratio:.2f}")
    shape = f"{cost['worst_signatures']} signatures x {cost['worst_keys']} keys, {cost['worst_envelope_bytes']:,} bytes"
    times = cost["worst_cpu_ms"] / cost["typical_cpu_ms"]
    print(f"  CPU per submission: typical {cost['typical_cpu_ms']:.2f} ms; worst case {cost['worst_cpu_ms']:.2f} ms "
          f"({shape}; {times:.0f}x) (target worst <= {WORST_CPU_MS:.0f} ms)")  # fmt: skip
    result = {"at": datetime.now(UTC).isoformat(), **e2e, "raw_verifications_per_s": raw, "ratio": ratio}
    result.update(cost)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    met = e2e["verdicts_per_s"] >= TARGET_RATE and e2e["verdicts"] == args.submissions
    met = met and cost["worst_cpu_ms"] <= WORST_CPU_MS
    print(f"  target {'met' if met else 'NOT met'}; results in {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
