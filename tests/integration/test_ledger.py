"""The ledger on the real database: no fork under concurrent writers, and proofs that verify."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from evidence.ledger import entry_leaf
from evidence.ledger_store import LedgerStore
from evidence.signing import PlatformKey
from pymongo import AsyncMongoClient, MongoClient
from transparency.canonical import canonical
from transparency.merkle import verify_consistency, verify_inclusion

from tests.integration.conftest import MONGO

PER_WRITER = 200


def naive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH, written out again, independent of evidence.merkle."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


@pytest.fixture
def db_name():
    name = f"it_ledger_{uuid.uuid4().hex[:8]}"
    yield name
    with MongoClient(MONGO) as client:
        client.drop_database(name)


def test_two_processes_appending_at_once_never_fork_the_ledger(db_name):
    start_at = time.time() + 4  # both processes imported and connected by then
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.ledger_writer",
                MONGO,
                db_name,
                tag,
                str(PER_WRITER),
                str(seed),
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for tag, seed in (("alpha", 1), ("beta", 2))
    ]
    results = {}
    for tag, writer in zip(("alpha", "beta"), writers, strict=True):
        out, _ = writer.communicate(timeout=300)
        assert writer.returncode == 0
        results[tag] = json.loads(out)

    with MongoClient(MONGO) as client:
        entries = list(client[db_name]["ledger_entries"].find())
        heads = list(client[db_name]["ledger_heads"].find())
    by_index = {int(doc["_id"]): doc for doc in entries}
    assert sorted(by_index) == list(range(2 * PER_WRITER))  # contiguous, one entry per index
    tags = [by_index[i]["entry"]["tenant"] for i in sorted(by_index)]
    switches = sum(1 for a, b in itertools.pairwise(tags) if a != b)
    assert switches >= 4, f"the writers did not overlap ({switches} switches): the test proves nothing"
    for written in results.values():  # each writer's entries are where it was told they are
        assert len(written) == PER_WRITER
        assert all(by_index[i]["entry"]["subject"] == subject for subject, i in written.items())
    leaves = [hashlib.sha256(b"\x00" + canonical(by_index[i]["entry"])).digest() for i in range(2 * PER_WRITER)]
    assert all(bytes.fromhex(by_index[i]["leaf"]) == leaves[i] for i in range(2 * PER_WRITER))
    assert heads and max(h["tree_size"] for h in heads) == 2 * PER_WRITER
    for head in heads:  # every signed head, from either writer, is the root of the same single history
        assert head["root_hash"] == naive_root(leaves[: head["tree_size"]]).hex(), head["tree_size"]


async def test_inclusion_and_consistency_proofs_from_the_stored_ledger_verify(db_name):
    client: AsyncMongoClient = AsyncMongoClient(MONGO)
    db = client[db_name]
    key = PlatformKey(ed25519.Ed25519PrivateKey.generate())
    store = LedgerStore(db["ledger_entries"], db["ledger_heads"], key, lambda: datetime.now(UTC))
    entries = [
        {"kind": "evidence-pack", "subject": f"p{i}", "tenant": "acme", "sha256": f"{i:064x}"} for i in range(37)
    ]
    _, first = await store.append(entries[:20])
    indices, second = await store.append(entries[20:])
    assert indices == list(range(20, 37)) and (first["tree_size"], second["tree_size"]) == (20, 37)
    proof = await store.prove(25)
    assert verify_inclusion(25, 37, entry_leaf(entries[25]), [bytes.fromhex(h) for h in proof["hashes"]],
                            bytes.fromhex(second["root_hash"]))  # fmt: skip
    grown = await store.prove_consistency(20, 37)
    assert verify_consistency(20, 37, bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"]),
                              [bytes.fromhex(h) for h in grown["hashes"]])  # fmt: skip
    fresh = LedgerStore(db["ledger_entries"], db["ledger_heads"], key, lambda: datetime.now(UTC))
    assert (await fresh.head())["root_hash"] == second["root_hash"]  # a new process reads the same tree
    await client.close()
