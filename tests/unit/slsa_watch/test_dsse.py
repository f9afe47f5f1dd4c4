"""DSSE parsing and signature verification on the slsa-verifier project's published provenance files."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from schemas.provenance import pae
from slsa_watch.dsse import load_key, parse, verify
from slsa_watch.errors import EnvelopeError

from tests.unit.slsa_watch.vectors import BUNDLE, CERT_ENVELOPE, VSA, VSA_KEY


def vsa_key():
    return load_key("bcid-vsa", VSA_KEY.read_text())


def flipped(document: dict, field: str, index: int) -> str:
    """A copy of an envelope with one byte of the base64-decoded `field` flipped."""
    copy = json.loads(json.dumps(document))
    holder = copy["signatures"][0] if field == "sig" else copy
    raw = bytearray(base64.b64decode(holder[field] + "=" * (-len(holder[field]) % 4)))
    raw[index % len(raw)] ^= 0x01
    holder[field] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(copy)


def test_pae_is_the_dsse_v1_encoding():
    assert pae("application/vnd.in-toto+json", b"hello") == b"DSSEv1 28 application/vnd.in-toto+json 5 hello"


def test_the_published_vsa_verifies_with_its_public_key():
    verified = verify(parse(VSA.read_text()), [vsa_key()])
    statement = json.loads(verified.payload)
    assert verified.signed_by == "bcid-vsa"
    assert statement["predicateType"] == "https://slsa.dev/verification_summary/v1"


@pytest.mark.parametrize("field", ["payload", "sig"])
def test_any_flipped_byte_of_the_vsa_payload_or_signature_is_refused(field):
    document = json.loads(VSA.read_text())
    length = len(base64.b64decode(document["payload"] if field == "payload" else document["signatures"][0]["sig"]))
    for index in range(0, length, max(1, length // 40)):  # ~40 positions spread over the whole field
        with pytest.raises(EnvelopeError, match="no signature verifies"):
            verify(parse(flipped(document, field, index)), [vsa_key()])


def test_a_key_the_tenant_did_not_register_verifies_nothing():
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(EnvelopeError, match="1 trusted key"):
        verify(parse(VSA.read_text()), [load_key("other", pem)])


def test_a_sigstore_bundle_verifies_under_its_certificate_key_only_when_asked():
    envelope = parse(BUNDLE.read_text())
    assert envelope.signatures[0].certificate is not None
    with pytest.raises(EnvelopeError):
        verify(envelope, [])  # keyless signatures are not trusted by default
    verified = verify(envelope, [], certificate_keys=True)
    statement = json.loads(verified.payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v0.1"
    assert statement["subject"][0]["digest"]["sha256"] == (
        "376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa"
    )
    tampered = json.loads(BUNDLE.read_text())
    tampered["dsseEnvelope"]["payload"] = tampered["dsseEnvelope"]["payload"].replace("a", "b", 1)
    with pytest.raises(EnvelopeError):
        verify(parse(json.dumps(tampered)), [], certificate_keys=True)


def test_an_envelope_carrying_its_certificate_in_the_signature_verifies_under_it():
    verified = verify(parse(CERT_ENVELOPE.read_text()), [], certificate_keys=True)
    assert b"asraa/slsa-github-generator" in verified.payload  # the untrusted builder: refused by policy later


def test_ed25519_and_raw_ecdsa_signatures_verify():
    payload, kind = b'{"_type": "https://in-toto.io/Statement/v1"}', "application/vnd.in-toto+json"
    ed = ed25519.Ed25519PrivateKey.generate()
    p256 = ec.generate_private_key(ec.SECP256R1())
    r, s = decode_dss_signature(p256.sign(pae(kind, payload), ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(32) + s.to_bytes(32)
    for private, sig in ((ed, ed.sign(pae(kind, payload))), (p256, raw)):
        pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        document = json.dumps(
            {"payloadType": kind, "payload": base64.b64encode(payload).decode(),
             "signatures": [{"sig": base64.urlsafe_b64encode(sig).decode().rstrip("=")}]}
        )  # fmt: skip
        assert verify(parse(document), [load_key("k", pem)]).payload == payload


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"payload": "e30=", "signatures": [{"sig": "AA=="}]}', "payloadType is missing"),
        ('{"payloadType": "t", "payload": "%%%", "signatures": [{"sig": "AA=="}]}', "payload is not valid base64"),
        ('{"payloadType": "t", "payload": "e30=", "signatures": []}', "signatures is not a non-empty list"),
        ('{"payloadType": "t", "payload": "e30=", "signatures": [{}]}', r"signatures\[0\].sig is missing"),
        ('{"dsseEnvelope": 5}', "dsseEnvelope is not an object"),
    ],
)
def test_malformed_input_is_refused_naming_the_problem(document, reason):
    with pytest.raises(EnvelopeError, match=reason):
        parse(document)


def hostile(keys: int, signatures: int, *, payload_bytes: int = 1000, keyid: str = "k"):
    """An envelope of many signatures (none by a registered key) and a tenant with many keys."""
    from slsa_watch.dsse import TrustedKey

    registered = [TrustedKey(f"k{i}", ed25519.Ed25519PrivateKey.generate().public_key()) for i in range(keys)]
    payload = b"x" * payload_bytes
    stranger = ed25519.Ed25519PrivateKey.generate()
    sig = base64.b64encode(stranger.sign(pae("t", payload))).decode()
    document = {"payloadType": "t", "payload": base64.b64encode(payload).decode(),
                "signatures": [{"keyid": f"{keyid}{i % keys}", "sig": sig} for i in range(signatures)]}  # fmt: skip
    return document, registered


def test_verification_tries_at_most_a_few_signature_key_pairs_whatever_the_envelope(monkeypatch):
    from slsa_watch import dsse

    calls: list[int] = []
    real = dsse.signature_verifies

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(dsse, "signature_verifies", counted)
    document, keys = hostile(keys=50, signatures=16)
    with pytest.raises(EnvelopeError, match="beyond the limit"):
        verify(parse(json.dumps(document)), keys)
    assert len(calls) == dsse.MAX_ATTEMPTS < 16 * 50


def test_a_signature_whose_keyid_names_its_key_is_tried_first():
    document, keys = hostile(keys=50, signatures=15, keyid="unregistered-")
    signer = ed25519.Ed25519PrivateKey.generate()
    from slsa_watch.dsse import TrustedKey

    keys.append(TrustedKey("release", signer.public_key()))
    payload = base64.b64decode(document["payload"])
    good = {"keyid": "release", "sig": base64.b64encode(signer.sign(pae("t", payload))).decode()}
    document["signatures"].append(good)  # last of 16, behind 15 x 50 pairs that fail
    assert verify(parse(json.dumps(document)), keys).signed_by == "release"


def test_an_ecdsa_signature_verifies_over_the_digest_computed_once():
    private = ec.generate_private_key(ec.SECP256R1())
    payload = b'{"a": 1}'
    sig = private.sign(pae("t", payload), ec.ECDSA(hashes.SHA256()))
    from slsa_watch.dsse import TrustedKey

    document = {"payloadType": "t", "payload": base64.b64encode(payload).decode(),
                "signatures": [{"sig": base64.b64encode(sig).decode()}]}  # fmt: skip
    assert verify(parse(json.dumps(document)), [TrustedKey("p256", private.public_key())]).signed_by == "p256"
