"""Benchmark: time-to-pack for 1,000-item packs, ledger appends/s and proof verifications/s, each against sha256.

The evidence service runs as deployed (its console script, one process) on the local stack. The
script publishes 1,000 evidence events (provenance verdicts) for each of ten tenants, waits until
they are collected, then requests each tenant's pack in turn and reads time-to-pack from PackBuilt
(request to pack signed, stored in GridFS and in the ledger). Then, in this process: ledger appends
to MongoDB through the same LedgerStore (compare-and-set on the tree size), in batches of 100 as a
busy ledger groups them, and one at a time; and inclusion-proof verifications in a tree of 100,000.
Baselines, same run: sha256 over the same bytes (each pack's archive; the entries; the proofs' nodes).

    make bench-evidence       (or: uv run python bench/evidence/run.py)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence.ledger_store import LedgerStore
from evidence.settings import EvidenceSettings
from evidence.signing import PlatformKey
from gridfs import AsyncGridFSBucket
from pydantic import SecretStr
from pymongo import AsyncMongoClient, MongoClient
from schemas.envelope import CONTENT_TYPE
from schemas.evidence import PackRequested, PackRequestedData
from service_kit.testing.launcher import ServiceProcess, env_for, free_port
from transparency.canonical import canonical
from transparency.merkle import MerkleTree, leaf_hash, verify_inclusion

from schemas import topics

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results/evidence.json"
TARGET_P50_S = 2.0
TARGET_APPENDS = 5000.0
HEADERS = [("content-type", CONTENT_TYPE.encode())]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def verdict(tenant: str, i: int, now: datetime) -> dict:
    """A provenance verdict as slsa-watch publishes it (the evidence the packs hold)."""
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/services/slsa-watch",
        "type": "io.trustportal.provenance.verified.v1", "time": now.isoformat(), "tenantid": tenant,
        "datacontenttype": "application/json",
        "data": {"submission_id": str(uuid.uuid4()), "repo": f"github.com/{tenant}/service-{i % 40}",
                 "artifact_name": f"service-{i}.tar.gz",
                 "artifact_sha256": hashlib.sha256(f"{tenant}{i}".encode()).hexdigest(),
                 "builder_id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/x@v2",
                 "source_repo": f"github.com/{tenant}/service-{i % 40}", "source_ref": "refs/tags/v1", "build_level": 3,
                 "hermetic": True, "dependencies_pinned": True, "signed_by": "release", "policy_id": "p1",
                 "verified_at": now.isoformat()},
    }  # fmt: skip


async def time_to_pack(settings: EvidenceSettings, tenants: list[str], items: int) -> tuple[list[float], list[dict]]:
    """Seed `items` events per tenant, then request each tenant's pack in turn; time-to-pack of each."""
    now = datetime.now(UTC)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(settings.topic(topics.EVIDENCE_EVENTS), bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)  # fmt: skip
    await producer.start()
    await consumer.start()
    try:
        futures = []
        for tenant in tenants:
            for i in range(items):
                event = verdict(tenant, i, now)
                futures.append(await producer.send(settings.topic(topics.PROVENANCE_EVENTS), json.dumps(event).encode(),
                                                   key=tenant.encode(), headers=HEADERS))  # fmt: skip
        await asyncio.gather(*futures)
        with MongoClient(settings.mongo_uri) as mongo:
            deadline = time.monotonic() + 300
            while mongo[settings.mongo_db]["evidence_items"].estimated_document_count() < len(tenants) * items:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: the evidence items were not collected in 300 s")
                await asyncio.sleep(0.5)
        built: list[dict] = []
        for tenant in tenants:
            rid = str(uuid.uuid4())
            at = datetime.now(UTC)
            data = PackRequestedData(pack_request_id=rid, period=now.strftime("%Y-%m"), requested_by="bench",
                                     requested_at=at)  # fmt: skip
            request = PackRequested.create(data=data, source="/bench", tenantid=tenant, time=at, id=rid)
            await producer.send_and_wait(settings.topic(topics.EVIDENCE_REQUESTS), request.to_json(),
                                         key=tenant.encode(), headers=HEADERS)  # fmt: skip
            while len(built) < len(tenants) and not any(b["data"]["pack_request_id"] == rid for b in built):
                batch = await consumer.getmany(timeout_ms=60_000)
                if not batch:
                    raise SystemExit("bench: no pack outcome in 60 s")
                for records in batch.values():
                    built.extend(json.loads(r.value) for r in records)
        failed = [b for b in built if not b["type"].endswith("pack-built.v1")]
        if failed:
            raise SystemExit(f"bench: packs failed: {failed[0]['data']}")
        return [b["data"]["time_to_pack_s"] for b in built], built
    finally:
        await consumer.stop()
        await producer.stop()


async def archives(settings: EvidenceSettings, built: list[dict]) -> list[bytes]:
    """The built packs' archives from GridFS."""
    client: AsyncMongoClient = AsyncMongoClient(settings.mongo_uri)
    bucket = AsyncGridFSBucket(client[settings.mongo_db], bucket_name=settings.bucket)
    out = []
    for b in built:
        stream = await bucket.open_download_stream(b["data"]["pack_id"])
        out.append(await stream.read())
    await client.close()
    return out


async def ledger_appends(settings: EvidenceSettings, count: int, batch: int) -> float:
    """Entries appended to the MongoDB ledger per second, `batch` per append."""
    client: AsyncMongoClient = AsyncMongoClient(settings.mongo_uri)
    db = client[f"{settings.mongo_db}_ledger_{batch}"]
    store = LedgerStore(db["ledger_entries"], db["ledger_heads"], PlatformKey(ed25519.Ed25519PrivateKey.generate()),
                        lambda: datetime.now(UTC))  # fmt: skip
    entries = [{"kind": "evidence-pack", "subject": str(i), "tenant": "t", "sha256": f"{i:064x}"} for i in range(count)]
    began = time.perf_counter()
    for i in range(0, count, batch):
        await store.append(entries[i : i + batch])
    rate = count / (time.perf_counter() - began)
    await client.drop_database(db.name)
    await client.close()
    return rate


def proof_verifications(size: int = 100_000, proofs: int = 20_000) -> tuple[float, float]:
    """Inclusion proofs verified per second in a tree of `size`; and sha256 over the same node bytes per second."""
    tree = MerkleTree([leaf_hash(str(i).encode()) for i in range(size)])
    root = tree.root()
    rng = random.Random(7)
    cases = [(i, tree.inclusion_proof(i)) for i in (rng.randrange(size) for _ in range(proofs))]
    began = time.perf_counter()
    for i, proof in cases:
        assert verify_inclusion(i, size, tree.levels[0][i], proof, root)
    rate = proofs / (time.perf_counter() - began)
    began = time.perf_counter()
    for i, proof in cases:
        digest = tree.levels[0][i]
        for node in proof:
            digest = hashlib.sha256(b"\x01" + digest + node).digest()
    return rate, proofs / (time.perf_counter() - began)


def sha256_seconds(blobs: list[bytes]) -> float:
    """Seconds to sha256 each blob once."""
    began = time.perf_counter()
    for blob in blobs:
        hashlib.sha256(blob).digest()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--appends", type=int, default=20_000)
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    settings = EvidenceSettings(mongo_db=f"bench_{run}", topic_prefix=f"bench-{run}.", signing_key=SecretStr(pem),
                                log_level="WARNING")  # fmt: skip
    logs = ROOT / ".local/bench"
    logs.mkdir(parents=True, exist_ok=True)
    service = ServiceProcess(env_for(settings), logs / "evidence.log", port=free_port(), command="evidence",
                             port_env="EVIDENCE_HTTP_PORT").start(timeout_s=60)  # fmt: skip
    tenants = [f"tenant-{i:02d}" for i in range(args.tenants)]
    try:
        times, built = asyncio.run(time_to_pack(settings, tenants, args.items))
    finally:
        service.stop()
    packs = asyncio.run(archives(settings, built))
    hash_s = sha256_seconds(packs) / len(packs)
    batched = asyncio.run(ledger_appends(settings, args.appends, 100))
    single = asyncio.run(ledger_appends(settings, 1000, 1))
    entries = [canonical({"kind": "evidence-pack", "subject": str(i), "tenant": "t", "sha256": f"{i:064x}"})
               for i in range(args.appends)]  # fmt: skip
    hash_entries = len(entries) / sha256_seconds(entries)
    proofs, proof_hashes = proof_verifications()
    with MongoClient(settings.mongo_uri) as mongo:
        mongo.drop_database(settings.mongo_db)

    p50, p95 = pct(times, 0.5), pct(times, 0.95)
    size = sum(len(p) for p in packs) / len(packs)
    print(f"\nevidence: {len(built)} packs of {args.items:,} items each (one tenant each), built in turn")
    print(f"  time-to-pack: p50 {p50:.3f} s, p95 {p95:.3f} s (target p50 <= {TARGET_P50_S:.0f} s; seed SLO 7 min); "
          f"pack ~{size / 1024:,.0f} KiB")  # fmt: skip
    print(f"  baseline sha256 of the same pack: {hash_s * 1000:.2f} ms; "
          f"ratio time-to-pack p50 / sha256: {p50 / hash_s:,.0f}")  # fmt: skip
    print(f"  ledger appends to MongoDB: {batched:,.0f}/s in batches of 100 (target >= {TARGET_APPENDS:,.0f}/s), "
          f"{single:,.0f}/s one at a time")  # fmt: skip
    print(f"  baseline sha256 of the same entries: {hash_entries:,.0f}/s; "
          f"ratio appends / sha256: {batched / hash_entries:.4f}")  # fmt: skip
    print(f"  inclusion proofs verified (tree of 100,000): {proofs:,.0f}/s; the same node hashes with plain sha256: "
          f"{proof_hashes:,.0f}/s; ratio {proofs / proof_hashes:.2f}")  # fmt: skip
    result = {
        "at": datetime.now(UTC).isoformat(), "packs": len(built), "items_per_pack": args.items,
        "time_to_pack_p50_s": p50, "time_to_pack_p95_s": p95, "sha256_pack_s": hash_s,
        "ledger_appends_per_s_batched": batched, "ledger_appends_per_s_single": single,
        "sha256_entries_per_s": hash_entries, "proof_verifications_per_s": proofs, "proof_sha256_per_s": proof_hashes,
    }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    met = p50 <= TARGET_P50_S and batched >= TARGET_APPENDS
    print(f"  targets {'met' if met else 'NOT met'}; results in {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
