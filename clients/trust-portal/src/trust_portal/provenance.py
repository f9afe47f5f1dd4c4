"""Provenance files as release jobs have them: DSSE envelopes, one per line of a `.intoto.jsonl`.

The SLSA GitHub generator writes such a file (its envelope signed by Sigstore). The tenant's trust
policy trusts the organisation's release key, so the release job countersigns the same payload:
DSSE allows several signatures over one pre-authentication encoding, and each verifies on its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

MAX_FILE_BYTES = 8 * 1024 * 1024


class ProvenanceFileError(ValueError):
    """A provenance or artifact file that cannot be used; the message names the file, line and reason."""


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks (artifacts can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def envelopes(path: Path) -> list[dict[str, Any]]:
    """Every DSSE envelope in a `.intoto.jsonl` (or a single JSON envelope), each checked for its fields."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ProvenanceFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            envelope = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProvenanceFileError(f"{path}:{number}: not JSON ({exc.msg})") from None
        missing = [
            f for f in ("payloadType", "payload", "signatures") if not isinstance(envelope, dict) or f not in envelope
        ]
        if missing:
            raise ProvenanceFileError(f"{path}:{number}: not a DSSE envelope ({missing[0]!r} is missing)")
        found.append(envelope)
    if not found:
        raise ProvenanceFileError(f"{path}: no envelope in it")
    return found


def statement(envelope: dict[str, Any]) -> dict[str, Any]:
    """The in-toto Statement an envelope carries (not verified here: the portal's verifier does that)."""
    try:
        body = json.loads(base64.b64decode(envelope["payload"], validate=True))
    except (ValueError, TypeError):
        raise ProvenanceFileError("the envelope's payload is not base64 of a JSON statement") from None
    if not isinstance(body, dict):
        raise ProvenanceFileError("the envelope's payload is not a JSON object")
    return body


def naming(path: Path, artifact_sha256: str) -> dict[str, Any]:
    """The envelope in `path` whose statement names the artifact's sha256 among its subjects."""
    for envelope in envelopes(path):
        subjects = statement(envelope).get("subject") or []
        if any(isinstance(s, dict) and (s.get("digest") or {}).get("sha256") == artifact_sha256 for s in subjects):
            return envelope
    raise ProvenanceFileError(f"{path}: no envelope names an artifact with sha256 {artifact_sha256}")


def digest_hex(digest: str, what: str = "--digest") -> str:
    """The hex of a `sha256:HEX` digest (a bare 64-digit hex too), lower case; a clear error otherwise."""
    algorithm, _, value = digest.strip().rpartition(":")
    value = value.lower()
    if algorithm not in ("", "sha256") or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ProvenanceFileError(f"{what} {digest!r}: not sha256:<64 hex digits>")
    return value


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1's pre-authentication encoding: what every signature of the envelope signs."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def countersign(envelope: dict[str, Any], private_key_pem: bytes, key_id: str) -> dict[str, Any]:
    """The envelope with one more signature, by the release key (Ed25519 or ECDSA P-256), over the same PAE."""
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ProvenanceFileError(f"the signing key is not an unencrypted PEM private key ({exc})") from None
    message = pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(message)
    elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    else:
        raise ProvenanceFileError("the signing key is not Ed25519 or ECDSA P-256")
    others = [s for s in envelope["signatures"] if s.get("keyid") != key_id]
    added = {"keyid": key_id, "sig": base64.b64encode(signature).decode()}
    return {**envelope, "signatures": [*others, added]}
