"""MongoDB for the evidence service: the names of the collections and the GridFS bucket it owns."""

from __future__ import annotations

ITEMS = "evidence_items"
"""Every event that is evidence, by event id, for the packs of its tenant and period."""
PACKS = "evidence_packs"
"""Each pack's claim and, once built, its hash, signature and ledger index (key: pack id)."""
LEDGER_ENTRIES = "ledger_entries"
"""The Merkle ledger's leaves, appended in order (key: index)."""
LEDGER_HEADS = "ledger_heads"
"""The ledger's signed tree heads (key: tree size)."""
ANCHORS = "evidence_anchors"
"""Other documents' digests recorded in the ledger (key: `<kind>/<sha256>`), with their index."""
