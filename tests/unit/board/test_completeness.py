"""The completeness check on the sample pack with a real ledger: every line passes, and a flipped hash, a
missing source, a broken link and a foreign ledger key are each named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from board.completeness import Completeness
from board.facts import Fact
from board.pack import Sources, board_pack
from board.windows import window
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence.ledger import inclusion, signed_head
from evidence.pack import ledger_entry
from evidence.signing import PlatformKey
from transparency.log import entry_leaf
from transparency.merkle import MerkleTree

from tests.unit.board.sample_pack import SETTINGS, sources

MAY = window("2026-05")


def new_key() -> PlatformKey:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return PlatformKey.from_pem(pem.decode())


KEY = new_key()


def ledgered(found: Sources) -> Sources:
    """The sample's pack-built facts with real entries, proofs and a signed head of one ledger."""
    packs = [f for f in found.facts if f.kind == "pack-built"]
    tree = MerkleTree()
    entries = [ledger_entry(str(f.data["pack_id"]), f.tenant, str(f.data["sha256"])) for f in packs]
    for entry in [{"kind": "filler", "n": i} for i in range(5)] + entries:
        tree.append_hash(entry_leaf(entry))
    head = signed_head(tree.size, tree.root(), datetime(2026, 5, 4, tzinfo=UTC), KEY)
    rebuilt = []
    for n, (fact, entry) in enumerate(zip(packs, entries, strict=True)):
        index = 5 + n
        proof = inclusion(entry, index, tree.size, tree.inclusion_proof(index, tree.size))
        rebuilt.append(fact.model_copy(update={"data": {**fact.data, "ledger_index": index, "tree_size": tree.size,
                                                        "inclusion_proof": proof, "tree_head": head}}))  # fmt: skip
    return Sources(found.invoices, found.payments, found.probes,
                   [f for f in found.facts if f.kind != "pack-built"] + rebuilt)  # fmt: skip


class Links:
    def __init__(self, broken: set[str] | None = None) -> None:
        self.broken = broken or set()
        self.asked: list[str] = []

    async def problem(self, url: str) -> str | None:
        self.asked.append(url)
        return f"{url} answers 404" if url in self.broken else None


def check(found: Sources, links: Links | None = None, key: ed25519.Ed25519PublicKey | None = KEY.public):
    pack = board_pack(MAY, found, SETTINGS)
    completeness = Completeness(links=links or Links(), ledger_key=key, config=SETTINGS)
    return pack, completeness.run(pack, found.facts)


async def test_every_section_hash_and_link_of_a_whole_pack_checks_out():
    links = Links()
    pack, run = check(ledgered(sources(MAY)), links)
    checks = await run
    assert [c for c in checks if not c.ok] == []
    names = [c.name for c in checks]
    assert {"source: revenue", "source: sla", "source: partners", "source: releases", "source: evidence",
            "source: policy"} <= set(names)  # fmt: skip
    assert sum(n.startswith("hash: evidence pack") for n in names) == len(pack.packs) == 3
    assert sum(n.startswith("hash: policy bundle") for n in names) == 2
    assert set(links.asked) == {u for n, u in pack.links.items() if n != "release tag"}  # the tag is not fetched


async def test_a_flipped_hash_is_named_with_what_the_ledger_holds():
    found = ledgered(sources(MAY))
    flipped = [
        f.model_copy(update={"data": {**f.data, "sha256": "0" * 64}}) if f.id == "pk-globex" else f for f in found.facts
    ]
    _, run = check(Sources(found.invoices, found.payments, found.probes, flipped))
    failed = [c for c in await run if not c.ok]
    assert len(failed) == 1
    assert failed[0].name == f"hash: evidence pack globex 2026-05 {'0' * 12}"
    assert failed[0].detail.startswith("the ledger entry holds 1e1e") and failed[0].detail.endswith("0" * 64)


async def test_a_missing_source_is_named_never_a_silently_blank_section():
    found = ledgered(sources(MAY))
    _, run = check(Sources(found.invoices, found.payments, [], found.facts))
    failed = [c for c in await run if not c.ok]
    assert [(c.name, c.detail) for c in failed] == [("source: sla", "no probe result in the period")]


async def test_a_broken_link_is_named():
    url = board_pack(MAY, sources(MAY), SETTINGS).links["evidence packs of acme"]
    _, run = check(ledgered(sources(MAY)), Links({url}))
    failed = [c for c in await run if not c.ok]
    assert [(c.name, c.detail) for c in failed] == [("link: evidence packs of acme", f"{url} answers 404")]


@pytest.mark.parametrize(("key", "why"), [(new_key().public, "does not verify"), (None, "BOARD_LEDGER_PUBLIC_KEY")])
async def test_a_tree_head_is_trusted_only_under_the_configured_ledger_key(key, why):
    _, run = check(ledgered(sources(MAY)), key=key)
    failed = [c for c in await run if not c.ok]
    assert len(failed) == 3 and all(why in c.detail for c in failed)


def test_an_unknown_fact_kind_is_refused_at_the_contract():
    with pytest.raises(ValueError):
        Fact(id="x", kind="guess", tenant="t", at=datetime(2026, 5, 1, tzinfo=UTC), data={})
