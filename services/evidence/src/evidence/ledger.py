"""The ledger's documents: entries, signed tree heads and inclusion proofs, as auditors receive them.

Pure. A tree head signs (log id, tree size, root hash, time) with the platform key; an inclusion
proof carries the entry itself, its index, the tree size and the audit path, so an auditor can
recompute the leaf from the pack and the root from the path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from transparency.canonical import canonical
from transparency.log import HEAD_FIELDS, LOG_ID, entry_leaf, head_message

from evidence.signing import PlatformKey

__all__ = ["HEAD_FIELDS", "LOG_ID", "consistency", "entry_leaf", "head_message", "inclusion", "signed_head"]


def signed_head(size: int, root: bytes, at: datetime, key: PlatformKey) -> dict[str, Any]:
    """A signed tree head."""
    body = {"log_id": LOG_ID, "tree_size": size, "root_hash": root.hex(), "timestamp": at.isoformat()}
    return {**body, "key_id": key.key_id, "signature": key.sign(canonical(body))}


def inclusion(entry: dict[str, Any], index: int, size: int, hashes: list[bytes]) -> dict[str, Any]:
    """An inclusion proof document."""
    return {
        "log_id": LOG_ID,
        "leaf_index": index,
        "tree_size": size,
        "entry": entry,
        "hashes": [h.hex() for h in hashes],
    }


def consistency(old: int, new: int, hashes: list[bytes]) -> dict[str, Any]:
    """A consistency proof document."""
    return {"log_id": LOG_ID, "old_size": old, "new_size": new, "hashes": [h.hex() for h in hashes]}
