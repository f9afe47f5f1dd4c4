"""Deterministic packs, their signature, and offline verification that names what was tampered with."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from evidence.ledger import entry_leaf, inclusion, signed_head
from evidence.pack import MANIFEST, Item, build, read_archive, write_archive
from evidence.signing import PlatformKey
from evidence.verify import verify_pack
from transparency.merkle import MerkleTree

KEY = PlatformKey(ed25519.Ed25519PrivateKey.generate())
AT = datetime(2026, 11, 27, 12, tzinfo=UTC)


def items(n: int = 3) -> list[Item]:
    return [
        Item("provenance", f"e{i}", "io.trustportal.provenance.verified.v1",
             {"id": f"e{i}", "data": {"repo": f"github.com/acme/r{i}", "level": 3}})
        for i in range(n)
    ]  # fmt: skip


def ledgered(pack, others: int = 5):
    tree = MerkleTree()
    for i in range(others):
        tree.append_hash(entry_leaf({"kind": "evidence-pack", "subject": f"p{i}", "tenant": "t", "sha256": "0" * 64}))
    index = tree.append_hash(entry_leaf(pack.ledger_entry()))
    tree.append_hash(entry_leaf({"kind": "board-pack", "subject": "b", "tenant": "platform", "sha256": "1" * 64}))
    head = signed_head(tree.size, tree.root(), AT, KEY)
    return inclusion(pack.ledger_entry(), index, tree.size, tree.inclusion_proof(index)), head


def test_the_same_evidence_gives_a_byte_identical_archive_in_any_order():
    first = build("acme", "2026-11", items())
    again = build("acme", "2026-11", list(reversed(items())) + items()[:1])
    assert first.archive == again.archive and first.sha256 == again.sha256 and first.pack_id == again.pack_id
    assert build("acme", "2026-11", items(4)).sha256 != first.sha256
    files = read_archive(first.archive)
    assert sorted(files) == [*sorted(i.path for i in items()), MANIFEST]
    manifest = json.loads(files[MANIFEST])
    assert manifest["item_count"] == 3
    assert all(e["sha256"] == hashlib.sha256(files[e["path"]]).hexdigest() for e in manifest["items"])
    assert {e["event_id"] for e in manifest["items"]} == {"e0", "e1", "e2"}


def test_a_good_pack_verifies_offline_with_signature_and_inclusion():
    pack = build("acme", "2026-11", items())
    proof, head = ledgered(pack)
    report = verify_pack(pack.archive, KEY.public, KEY.envelope(pack.statement()), proof, head)
    assert report.ok, report.failed
    names = [name for name, _, _ in report.checks]
    assert {
        "archive",
        "manifest",
        "items",
        "signature",
        "statement subject",
        "tree head",
        "ledger entry",
        "inclusion",
    } <= set(names)


def test_every_flipped_byte_of_the_stored_pack_is_detected():
    pack = build("acme", "2026-11", items(2))
    envelope = KEY.envelope(pack.statement())
    proof, head = ledgered(pack)
    for i in range(len(pack.archive)):
        tampered = bytearray(pack.archive)
        tampered[i] ^= 0x01
        report = verify_pack(bytes(tampered), KEY.public, envelope, proof, head)
        assert not report.ok, f"byte {i} flipped and not detected"


@pytest.mark.parametrize("where", ["item", "manifest"])
def test_a_changed_item_or_manifest_is_named(where):
    pack = build("acme", "2026-11", items())
    files = read_archive(pack.archive)
    if where == "item":
        path = items()[1].path
        files[path] = files[path].replace(b'"level":3', b'"level":2')
    else:
        files[MANIFEST] = files[MANIFEST].replace(b'"item_count":3', b'"item_count":4')
    report = verify_pack(write_archive(files), KEY.public, KEY.envelope(pack.statement()), *ledgered(pack))
    failed = dict(report.failed)
    if where == "item":
        assert f"item {items()[1].path}" in failed and "the manifest says" in failed[f"item {items()[1].path}"]
    else:
        assert "statement manifest" in failed
    assert "statement subject" in failed and "ledger entry" in failed


def test_a_forged_signature_entry_or_tree_head_is_named():
    pack = build("acme", "2026-11", items())
    proof, head = ledgered(pack)
    other = PlatformKey(ed25519.Ed25519PrivateKey.generate())
    assert dict(verify_pack(pack.archive, KEY.public, other.envelope(pack.statement())).failed) == {
        "signature": "no signature verifies under the platform key"
    }
    forged_entry = {**proof, "entry": {**proof["entry"], "tenant": "beta"}}
    assert set(dict(verify_pack(pack.archive, KEY.public, None, forged_entry, head).failed)) == {
        "ledger entry",
        "inclusion",
    }
    forged_head = {**head, "tree_size": head["tree_size"] + 1}
    assert set(dict(verify_pack(pack.archive, KEY.public, None, proof, forged_head).failed)) == {
        "tree head",
        "inclusion",
    }
    moved_root = {**head, "root_hash": "00" * 32}
    assert set(dict(verify_pack(pack.archive, KEY.public, None, proof, moved_root).failed)) == {
        "tree head",
        "inclusion",
    }


def test_another_tenants_genuine_pack_saved_under_the_requested_name_does_not_verify():
    from evidence.pack import archive_name
    from evidence.verify import Expected

    asked = build("acme", "2026-11", items())
    other = build("beta", "2026-11", items())  # genuine, signed and ledgered: just not the one asked for
    proof, head = ledgered(other)
    envelope = KEY.envelope(other.statement())
    good = verify_pack(other.archive, KEY.public, envelope, proof, head, file_name=archive_name(other.pack_id))
    assert good.ok and good.identity == {"tenant": "beta", "period": "2026-11", "pack_id": other.pack_id}
    assert good.identity_signed

    renamed = verify_pack(other.archive, KEY.public, envelope, proof, head, file_name=archive_name(asked.pack_id))
    assert not renamed.ok and [name for name, _ in renamed.failed] == ["file name"]
    wanted = Expected(tenant="acme", period="2026-10", pack_id=asked.pack_id)
    bound = verify_pack(other.archive, KEY.public, envelope, proof, head, expected=wanted)
    assert [name for name, _ in bound.failed] == ["expected tenant", "expected period", "expected pack id"]
    assert "asked for acme, the pack is beta" in dict(bound.failed)["expected tenant"]


def test_an_archive_declaring_more_than_it_holds_is_refused_from_its_header_at_once():
    import io
    import tarfile
    import time

    def archive_with(info: tarfile.TarInfo, data: bytes = b"") -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
            tar.addfile(info, io.BytesIO(data) if data else None)
        return out.getvalue()

    small = bytearray(archive_with(tarfile.TarInfo("items/a.json"), b"{}"))
    header = tarfile.TarInfo("items/a.json")
    header.size = 2**40  # a terabyte, declared by a 2 KiB file
    small[:512] = header.tobuf(format=tarfile.GNU_FORMAT)[:512]
    began = time.perf_counter()
    with pytest.raises(ValueError, match="more than the archive holds"):
        read_archive(bytes(small))
    assert time.perf_counter() - began < 0.1 and len(small) <= 10_240

    link = tarfile.TarInfo("items/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    device = tarfile.TarInfo("items/dev")
    device.type = tarfile.CHRTYPE
    for entry in (link, device):
        with pytest.raises(ValueError, match="not a regular file"):
            read_archive(archive_with(entry))
