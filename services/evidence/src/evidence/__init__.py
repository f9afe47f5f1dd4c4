"""Evidence: deterministic evidence packs, signed, in an append-only Merkle ledger with offline proofs."""
