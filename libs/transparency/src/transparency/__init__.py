"""The platform ledger's offline proofs (pure): what the evidence service writes and every verifier checks.

canonical (the byte form hashed and signed), merkle (RFC 6962 trees, inclusion and consistency proofs),
log (ledger entries' leaves, signed tree heads and checking a proof against a head).
"""
