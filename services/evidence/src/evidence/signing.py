"""The platform's Ed25519 signatures: DSSE envelopes over in-toto Statements, and signed tree heads.

Pure (keys are passed in). The evidence service signs; `evidence verify` checks offline with the
platform's public key only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

IN_TOTO = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public: ed25519.Ed25519PublicKey) -> str:
    """A key's id: sha256 of its SubjectPublicKeyInfo, hex (the first 16 digits)."""
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


@dataclass(frozen=True)
class PlatformKey:
    """The platform's signing key."""

    private: ed25519.Ed25519PrivateKey

    @classmethod
    def from_pem(cls, pem: str) -> PlatformKey:
        """Load a PKCS#8 PEM Ed25519 private key; ValueError names the problem."""
        key = load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ValueError("the evidence signing key must be an Ed25519 private key")
        return cls(key)

    @property
    def public(self) -> ed25519.Ed25519PublicKey:
        """Its public half."""
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        """Its id."""
        return key_id(self.public)

    def public_pem(self) -> str:
        """The public key as auditors receive it."""
        return self.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def envelope(self, statement: dict[str, Any]) -> dict[str, Any]:
        """A DSSE envelope over an in-toto Statement."""
        payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
        sig = self.private.sign(pae(IN_TOTO, payload))
        return {
            "payloadType": IN_TOTO,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": self.key_id, "sig": base64.b64encode(sig).decode()}],
        }

    def sign(self, message: bytes) -> str:
        """A detached signature, base64."""
        return base64.b64encode(self.private.sign(message)).decode()


def open_envelope(envelope: dict[str, Any], public: ed25519.Ed25519PublicKey) -> dict[str, Any]:
    """The Statement inside a DSSE envelope once a signature verifies; ValueError says why not."""
    if envelope.get("payloadType") != IN_TOTO:
        raise ValueError(f"payload type {envelope.get('payloadType')!r} is not {IN_TOTO}")
    try:
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = [base64.b64decode(s["sig"], validate=True) for s in envelope["signatures"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the envelope is malformed ({exc})") from None
    for sig in signatures:
        try:
            public.verify(sig, pae(IN_TOTO, payload))
        except InvalidSignature:
            continue
        statement: dict[str, Any] = json.loads(payload)
        return statement
    raise ValueError("no signature verifies under the platform key")
