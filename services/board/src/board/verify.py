"""Offline verification of a board pack PDF: its digest is the ledger entry's, the entry is in the signed tree.

Pure: bytes and documents in, named checks out; all checks run, and the pack verifies only when every
one passed. The platform's public key comes to the reader out of band (as for evidence packs).
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from schemas.board import Check
from transparency.log import inclusion_problem, verify_head

ATTACHMENT = "board-pack.json"


def attached_data(pdf: bytes) -> dict[str, Any] | None:
    """The figures attached to the PDF, or None when there are none (or the PDF cannot be read)."""
    try:
        files = PdfReader(io.BytesIO(pdf)).attachments
        blobs = files.get(ATTACHMENT) or []
        data = json.loads(blobs[0]) if blobs else None
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def verify_board_pack(
    pdf: bytes, name: str, proof: dict[str, Any], head: dict[str, Any], key: ed25519.Ed25519PublicKey
) -> list[Check]:
    """Every check of a board pack file called `name` against its proof and the tree head."""
    digest = hashlib.sha256(pdf).hexdigest()
    raw_entry = proof.get("entry")
    entry: dict[str, Any] = raw_entry if isinstance(raw_entry, dict) else {}
    checks: list[Check] = []

    def check(check_name: str, ok: bool, good: str, bad: str) -> None:
        checks.append(Check(name=check_name, ok=ok, detail=good if ok else bad))

    check("digest", entry.get("sha256") == digest, f"sha256 {digest}",
          f"the file's sha256 {digest} is not the ledger entry's {entry.get('sha256')}")  # fmt: skip
    check("ledger entry", entry.get("kind") == "board-pack" and entry.get("subject") == name,
          f"board-pack {name}",
          f"the entry is {entry.get('kind')} {entry.get('subject')}, not board-pack {name}")  # fmt: skip
    check("tree head", verify_head(head, key), f"tree size {head.get('tree_size')}, signed under the platform key",
          "the tree head's signature does not verify under the platform key")  # fmt: skip
    problem = inclusion_problem(proof, head)
    check("inclusion", problem is None, f"entry {proof.get('leaf_index')} is in the tree of {head.get('tree_size')}",
          problem or "")  # fmt: skip
    data = attached_data(pdf)
    period = name.removeprefix("board-").removesuffix(".pdf")
    check("attached data", data is not None and data.get("period") == period, f"{ATTACHMENT} for {period}",
          f"no {ATTACHMENT} for {period} attached")  # fmt: skip
    return checks
