"""The ledger's entries and signed tree heads, and checking them offline with the platform's public key."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from transparency.canonical import canonical
from transparency.merkle import leaf_hash, verify_inclusion

__all__ = [
    "HEAD_FIELDS", "LOG_ID", "entry_leaf", "head_message", "inclusion_problem", "load_public", "verify_detached",
    "verify_head",
]  # fmt: skip

LOG_ID = "trust-portal-evidence-ledger"
HEAD_FIELDS = ("log_id", "tree_size", "root_hash", "timestamp")


def entry_leaf(entry: dict[str, Any]) -> bytes:
    """The leaf hash of a ledger entry (its canonical JSON)."""
    return leaf_hash(canonical(entry))


def head_message(head: dict[str, Any]) -> bytes:
    """The bytes a tree head's signature covers."""
    return canonical({k: head.get(k) for k in HEAD_FIELDS})


def load_public(pem: str) -> ed25519.Ed25519PublicKey:
    """The platform's public key from PEM; ValueError names the problem."""
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError("the platform key must be an Ed25519 public key")
    return key


def verify_detached(public: ed25519.Ed25519PublicKey, signature: str, message: bytes) -> bool:
    """Whether a detached base64 signature verifies."""
    try:
        public.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_head(head: dict[str, Any], public: ed25519.Ed25519PublicKey) -> bool:
    """Whether a tree head is this ledger's and its signature verifies under the platform key."""
    return head.get("log_id") == LOG_ID and verify_detached(public, str(head.get("signature", "")), head_message(head))


def inclusion_problem(proof: dict[str, Any], head: dict[str, Any]) -> str | None:
    """None when the proof's entry leads through its path to the head's root; else what is wrong."""
    try:
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        root = bytes.fromhex(str(head["root_hash"]))
        entry = proof["entry"]
    except (KeyError, TypeError, ValueError) as exc:
        return f"the proof or tree head is malformed ({type(exc).__name__}: {exc})"
    if size != head.get("tree_size"):
        return f"the proof is for a tree of {size}, the tree head is of {head.get('tree_size')}"
    if not isinstance(entry, dict) or not verify_inclusion(index, size, entry_leaf(entry), hashes, root):
        return f"leaf {index} does not lead to the tree head's root through the proof"
    return None
