"""DSSE envelopes as slsa-verifier reads them: parse, then verify a signature over the PAE encoding.

Pure: bytes and keys in, a verified payload or a refusal naming what failed out. Nothing in an
envelope is trusted before a signature over it verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from cryptography.x509 import load_der_x509_certificate, load_pem_x509_certificate
from schemas.provenance import pae

from slsa_watch.errors import EnvelopeError

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
MAX_SIGNATURES = 16
MAX_ATTEMPTS = 4
"""Signature x key verifications tried per envelope at most: a hostile envelope (many signatures,
a tenant with many keys, a maximal payload) costs a few verifications, never their product."""


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope, with the certificate that came with it, if any (not yet trusted)."""

    sig: bytes
    keyid: str = ""
    certificate: bytes | None = None


@dataclass(frozen=True)
class Envelope:
    """A parsed DSSE envelope: nothing in it is trusted yet."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]


@dataclass(frozen=True)
class TrustedKey:
    """A public key a tenant registered, by id."""

    key_id: str
    key: PublicKey


def b64decode(text: str, what: str) -> bytes:
    """Standard or URL-safe base64, padded or not; EnvelopeError naming `what` otherwise."""
    if not isinstance(text, str):
        raise EnvelopeError(f"{what} is not a string")
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded.encode())
        return base64.b64decode(padded.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None


def json_object(document: str | bytes, error: type[ValueError], what: str = "") -> dict[str, Any]:
    """`document` as a JSON object, or `error` saying (of `what`) why it is not one."""
    prefix = f"{what} is " if what else ""
    try:
        data = json.loads(document)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(f"{prefix}not JSON: {exc}") from None
    except RecursionError:  # hostile nesting: a named refusal, never a crash or a dead letter
        raise error(f"{prefix}nested too deeply to read") from None
    if not isinstance(data, dict):
        raise error(f"{prefix}not a JSON object")
    return data


def parse(document: str | bytes) -> Envelope:
    """An envelope from JSON: a bare DSSE envelope, or a Sigstore bundle's `dsseEnvelope` (its certificate kept)."""
    data = json_object(document, EnvelopeError)
    certificate = None
    if "dsseEnvelope" in data:  # Sigstore bundle v0.1-v0.3
        certificate = bundle_certificate(data.get("verificationMaterial"))
        data = data["dsseEnvelope"]
        if not isinstance(data, dict):
            raise EnvelopeError("dsseEnvelope is not an object")
    for field in ("payloadType", "payload", "signatures"):
        if field not in data:
            raise EnvelopeError(f"{field} is missing")
    if not isinstance(data["payloadType"], str) or not data["payloadType"]:
        raise EnvelopeError("payloadType is not a non-empty string")
    signatures = data["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("signatures is not a non-empty list")
    if len(signatures) > MAX_SIGNATURES:
        raise EnvelopeError(f"more than {MAX_SIGNATURES} signatures")
    parsed = []
    for i, entry in enumerate(signatures):
        if not isinstance(entry, dict) or "sig" not in entry:
            raise EnvelopeError(f"signatures[{i}].sig is missing")
        cert = entry.get("cert")
        parsed.append(
            Signature(
                sig=b64decode(entry["sig"], f"signatures[{i}].sig"),
                keyid=str(entry.get("keyid") or ""),
                certificate=cert.encode() if isinstance(cert, str) and cert else certificate,
            )
        )
    return Envelope(
        payload_type=data["payloadType"], payload=b64decode(data["payload"], "payload"), signatures=tuple(parsed)
    )


def bundle_certificate(material: Any) -> bytes | None:
    """The DER leaf certificate of a Sigstore bundle's verification material, if it has one."""
    if not isinstance(material, dict):
        return None
    if isinstance(material.get("certificate"), dict):  # v0.3
        raw = material["certificate"].get("rawBytes")
    else:  # v0.1 / v0.2
        chain = (material.get("x509CertificateChain") or {}).get("certificates") or []
        raw = chain[0].get("rawBytes") if chain and isinstance(chain[0], dict) else None
    return b64decode(raw, "the bundle's certificate") if isinstance(raw, str) else None


def certificate_key(certificate: bytes) -> PublicKey:
    """The public key of a PEM or DER certificate (its chain is not checked here)."""
    try:
        cert = (
            load_pem_x509_certificate(certificate)
            if certificate.lstrip().startswith(b"-----")
            else load_der_x509_certificate(certificate)
        )
    except ValueError as exc:
        raise EnvelopeError(f"the certificate does not parse: {exc}") from None
    key = cert.public_key()
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise EnvelopeError(f"the certificate's key is a {type(key).__name__}, not Ed25519 or ECDSA")
    return key


def load_key(key_id: str, pem: str) -> TrustedKey:
    """A trusted key from its PEM (Ed25519 or ECDSA P-256); ValueError for any other, unknown algorithms too."""
    try:
        key = load_pem_public_key(pem.encode())
    except UnsupportedAlgorithm:
        raise ValueError(f"{key_id}: the key's algorithm is not one this verifier knows") from None
    if isinstance(key, ed25519.Ed25519PublicKey) or (
        isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    ):
        return TrustedKey(key_id=key_id, key=key)
    raise ValueError(f"{key_id}: only Ed25519 and ECDSA P-256 keys are supported")


def signature_verifies(key: PublicKey, signature: bytes, message: bytes, digest: bytes | None = None) -> bool:
    """Whether `signature` (Ed25519; ECDSA P-256 as DER or raw r||s) is `key`'s over `message`.

    `digest` is the message's SHA-256, when the caller computed it once for several ECDSA checks.
    """
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
            return True
        if len(signature) == 64 and signature[0] != 0x30:  # raw r||s, as some signers emit
            signature = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
        if digest is not None:
            key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        else:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def attempts(envelope: Envelope, keys: list[TrustedKey]) -> tuple[list[tuple[Signature, TrustedKey]], int]:
    """Which signature x key pairs to try, in order, and how many pairs were left untried.

    The keyid is an unauthenticated hint (DSSE): pairs whose keyid names the key come first, then the
    other signatures against every key; at most MAX_ATTEMPTS pairs in all.
    """
    by_id = {k.key_id: k for k in keys}
    named = ((sig, by_id[sig.keyid]) for sig in envelope.signatures if sig.keyid in by_id)
    others = ((sig, key) for sig in envelope.signatures for key in keys if sig.keyid != key.key_id)
    pairs = list(itertools.islice(itertools.chain(named, others), MAX_ATTEMPTS))
    # Every signature pairs with every key once (the named pair among them), so the untried are the rest.
    return pairs, max(0, len(envelope.signatures) * len(keys) - len(pairs))


@dataclass(frozen=True)
class Verified:
    """A payload whose signature verified, and which key (or certificate) signed it."""

    payload_type: str
    payload: bytes
    signed_by: str


def verify(envelope: Envelope, keys: list[TrustedKey], *, certificate_keys: bool = False) -> Verified:
    """The envelope's payload, once one of its signatures verifies under a trusted key.

    Signatures are matched to keys by keyid first and at most MAX_ATTEMPTS verifications are tried
    (see `attempts`); the PAE is built and hashed once. With `certificate_keys`, a signature may
    instead verify under the key of the certificate that came with it (Sigstore keyless; the
    certificate's chain and identity are checked elsewhere), within the same limit.
    Raises EnvelopeError naming why no signature verified.
    """
    message = pae(envelope.payload_type, envelope.payload)
    pairs, untried = attempts(envelope, keys)
    digest: bytes | None = None  # the PAE's SHA-256, hashed once for every ECDSA check
    for signature, trusted in pairs:
        if digest is None and isinstance(trusted.key, ec.EllipticCurvePublicKey):
            digest = hashlib.sha256(message).digest()
        if signature_verifies(trusted.key, signature.sig, message, digest):
            return Verified(envelope.payload_type, envelope.payload, signed_by=trusted.key_id)
    if certificate_keys:
        budget = MAX_ATTEMPTS - len(pairs)
        for signature in [s for s in envelope.signatures if s.certificate is not None][: max(budget, 0)]:
            if signature_verifies(certificate_key(signature.certificate or b""), signature.sig, message, digest):
                return Verified(envelope.payload_type, envelope.payload, signed_by="certificate")
    tried = f"{len(keys)} trusted key(s)" + (" and the signers' certificates" if certificate_keys else "")
    limit = f" ({untried} signature/key pair(s) beyond the limit of {MAX_ATTEMPTS} not tried)" if untried else ""
    raise EnvelopeError(f"no signature verifies under {tried}{limit}")
