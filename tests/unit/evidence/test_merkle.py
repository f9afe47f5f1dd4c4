"""The Merkle ledger's tree against the RFC 6962 definitions written out naively, and its proofs."""

from __future__ import annotations

import hashlib

import pytest
from transparency.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

DATA = [f"pack-{i}".encode() for i in range(70)]


def mth(d: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    return [*path(m, d[:k]), mth(d[k:])] if m < k else [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    return [*subproof(m, d[:k], b), mth(d[k:])] if m <= k else [*subproof(m - k, d[k:], False), mth(d[:k])]


def test_leaves_and_nodes_are_hashed_apart():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert MerkleTree().root() == EMPTY_ROOT


def test_roots_and_proofs_match_the_rfc_definitions_for_every_size():
    tree = MerkleTree()
    for n, data in enumerate(DATA, start=1):
        tree.append(data)
        assert tree.root() == mth(DATA[:n])
    for n in range(1, len(DATA) + 1):
        for m in range(n):
            assert tree.inclusion_proof(m, n) == path(m, DATA[:n])
        for m in range(1, n + 1):
            assert tree.consistency_proof(m, n) == subproof(m, DATA[:n], True)


def test_every_inclusion_proof_verifies_and_any_change_fails():
    tree = MerkleTree([leaf_hash(d) for d in DATA])
    for n in (1, 2, 3, 7, 8, 9, 31, 64, 70):
        root = tree.root(n)
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            leaf = leaf_hash(DATA[m])
            assert verify_inclusion(m, n, leaf, proof, root)
            assert not verify_inclusion(m, n, leaf_hash(b"forged"), proof, root)
            if proof:
                assert not verify_inclusion(m, n, leaf, [proof[0][::-1], *proof[1:]], root)
                assert not verify_inclusion(m, n, leaf, proof[:-1], root)
            if n > 1:
                assert not verify_inclusion((m + 1) % n, n, leaf, proof, root)


def test_every_consistency_proof_verifies_and_any_change_fails():
    tree = MerkleTree([leaf_hash(d) for d in DATA])
    for new in (1, 2, 5, 8, 13, 32, 33, 70):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)
            if old < new:
                assert not verify_consistency(old, new, tree.root(old), leaf_hash(b"fork"), proof)
                assert not verify_consistency(old, new, leaf_hash(b"fork"), tree.root(new), proof)
                assert not verify_consistency(old, new, tree.root(old), tree.root(new), [])


def test_a_tree_rebuilt_from_its_leaf_hashes_is_the_same_tree():
    tree = MerkleTree([leaf_hash(d) for d in DATA])
    assert MerkleTree(tree.levels[0]).root() == tree.root()
    with pytest.raises(ValueError):
        tree.inclusion_proof(70, 70)
