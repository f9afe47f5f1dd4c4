"""SLSA watch's errors, one small tree: what an input can be wrong about, each named in its rejection.

    SlsaWatchError
    ├── EnvelopeError     not a DSSE envelope (or a Sigstore bundle holding one)
    └── ProvenanceError   not provenance we can read (the field and the reason)

A rejection is a verdict, not an exception that escapes: the domain turns these into
ProvenanceRejected with the message as its reason.
"""

from __future__ import annotations


class SlsaWatchError(ValueError):
    """An input slsa-watch cannot accept; the message says why (safe to show the submitter)."""


class EnvelopeError(SlsaWatchError):
    """The input is not a DSSE envelope (or a Sigstore bundle holding one); the message says why."""


class ProvenanceError(SlsaWatchError):
    """The payload is not provenance we can read; the message names the field and the reason."""
