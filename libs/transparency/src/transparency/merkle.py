"""An append-only Merkle tree in the style of RFC 6962 / RFC 9162 (Certificate Transparency).

Pure. Leaves and interior nodes are hashed apart (a 0x00 prefix for leaves, 0x01 for nodes), so no
leaf can pass for a node. The tree over n leaves splits at the largest power of two below n. Kept as
levels of complete subtrees, so an append costs O(log n) hashes and any root or proof O(log^2 n).
Verification functions need only hashes: an auditor runs them offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """Leaf hashes and every complete subtree's hash, level by level."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append_hash(leaf)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self.levels[0])

    def append(self, data: bytes) -> int:
        """Append a leaf's data; returns its index."""
        return self.append_hash(leaf_hash(data))

    def append_hash(self, leaf: bytes) -> int:
        """Append a leaf by its hash; returns its index."""
        index = self.size
        self.levels[0].append(leaf)
        level, node = 0, index
        while node % 2 == 1:  # completing a pair: its parent is now complete
            parent = node_hash(self.levels[level][node - 1], self.levels[level][node])
            level, node = level + 1, node // 2
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(parent)
        return index

    def hash_range(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end): a complete aligned subtree is read, anything else split."""
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            return self.levels[level][start >> level]
        k = split(size)
        return node_hash(self.hash_range(start, start + k), self.hash_range(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (default: all)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return self.hash_range(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 PATH)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return [*self._path(m, start, start + k), self.hash_range(start + k, end)]
        return [*self._path(m - k, start + k, end), self.hash_range(start, start + k)]

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """The proof that the tree of `new` leaves extends the tree of `old` leaves (RFC 6962 PROOF)."""
        new = self.size if new is None else new
        if not 0 < old <= new <= self.size:
            raise ValueError(f"no consistency proof from {old} to {new} leaves (of {self.size})")
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self.hash_range(start, end)]
        k = split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete), self.hash_range(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self.hash_range(start, start + k)]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2); raises ValueError if the proof has the wrong shape."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the inclusion proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`."""
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether the tree of `new` leaves (root `new_root`) extends the one of `old` leaves (RFC 9162 2.1.4.2)."""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root starts the path
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
