"""Verdicts on signed submissions: every failed check named; levels apart from the organisation's checks."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from schemas.provenance import MAX_ENVELOPE_BYTES, pae
from slsa_watch.dsse import load_key
from slsa_watch.verdict import BuilderRule, TrustPolicy, judge

from tests.unit.slsa_watch.vectors import VSA, VSA_KEY

KEY = ed25519.Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
DIGEST = "c" * 64
GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"


def envelope(*, builder=GENERATOR + "generator_generic_slsa3.yml@refs/tags/v2.1.0", digest=DIGEST,
             repo="git+https://github.com/acme/robot@refs/tags/v1", complete=True, key=KEY) -> str:  # fmt: skip
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "robot", "digest": {"sha256": digest}}],
        "predicate": {
            "builder": {"id": builder},
            "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
            "invocation": {"configSource": {"uri": repo, "digest": {"sha1": "a" * 40}}},
            "metadata": {"completeness": {"materials": complete, "environment": complete}},
            "materials": [{"uri": repo, "digest": {"sha1": "a" * 40}}],
        },
    }
    payload = json.dumps(statement).encode()
    kind = "application/vnd.in-toto+json"
    sig = key.sign(pae(kind, payload))
    return json.dumps({"payloadType": kind, "payload": base64.b64encode(payload).decode(),
                       "signatures": [{"keyid": "k", "sig": base64.b64encode(sig).decode()}]})  # fmt: skip


def policy(*, hardened=True, prefix=True) -> TrustPolicy:
    return TrustPolicy(
        keys=(load_key("acme-release", PEM),),
        builders=(BuilderRule(GENERATOR, prefix=prefix, hardened=hardened),),
        source_repositories=("github.com/acme/robot",),
    )


def test_a_good_submission_is_verified_at_l3_under_a_hardened_builder():
    verdict = judge(envelope(), DIGEST, "github.com/acme/robot", policy())
    assert verdict.verified and verdict.failed == () and verdict.build_level == 3
    assert verdict.hermetic and verdict.pinned and verdict.signed_by == "acme-release"


def test_a_trusted_but_not_hardened_builder_gives_l2_even_when_the_build_is_hermetic():
    verdict = judge(envelope(complete=True), DIGEST, "github.com/acme/robot", policy(hardened=False))
    assert verdict.verified and verdict.build_level == 2 and verdict.hermetic  # never "L3 because hermetic"


def test_a_rejection_names_every_failed_check():
    verdict = judge(
        envelope(
            builder="https://github.com/asraa/slsa-github-generator/x.yml@v1", repo="git+https://github.com/evil/fork"
        ),
        "d" * 64,
        "github.com/acme/robot",
        policy(),
    )
    assert not verdict.verified and verdict.build_level == 1
    kinds = [f.split(":")[0] for f in verdict.failed]
    assert kinds == ["subject", "builder", "source", "source"]


def test_exact_builder_rules_do_not_match_other_tags():
    exact = TrustPolicy(
        keys=(load_key("k", PEM),),
        builders=(BuilderRule(GENERATOR + "generator_generic_slsa3.yml@refs/tags/v2.1.0"),),
        source_repositories=("github.com/acme/robot",),
    )
    assert judge(envelope(), DIGEST, "github.com/acme/robot", exact).verified
    other_tag = envelope(builder=GENERATOR + "generator_generic_slsa3.yml@refs/tags/v9.9.9")
    assert not judge(other_tag, DIGEST, "github.com/acme/robot", exact).verified


def test_nothing_is_read_before_the_signature_verifies():
    stranger = ed25519.Ed25519PrivateKey.generate()
    verdict = judge(envelope(key=stranger), DIGEST, "github.com/acme/robot", policy())
    assert not verdict.verified and verdict.provenance is None and verdict.build_level == 0
    assert verdict.failed == ("signature: no signature verifies under 1 trusted key(s)",)


def test_a_signed_non_provenance_payload_is_refused_by_its_predicate_type():
    vsa_policy = TrustPolicy(keys=(load_key("bcid", VSA_KEY.read_text()),), builders=(), source_repositories=())
    verdict = judge(VSA.read_text(), DIGEST, "github.com/acme/robot", vsa_policy)
    assert not verdict.verified and verdict.failed[0].startswith("provenance: predicateType")


def test_garbage_is_refused_as_an_envelope():
    verdict = judge(b"\xff\xfe not json", DIGEST, "github.com/acme/robot", policy())
    assert not verdict.verified and verdict.failed[0].startswith("envelope: not JSON")


def test_a_50_mb_envelope_is_rejected_by_size_before_it_is_parsed():
    huge = json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": "A" * (50 * 1024 * 1024),
                       "signatures": []})  # fmt: skip
    verdict = judge(huge, DIGEST, "github.com/acme/robot", policy())
    assert not verdict.verified and verdict.build_level == 0
    assert verdict.failed == (f"envelope: {len(huge):,} bytes, over the limit of {MAX_ENVELOPE_BYTES:,}",)


def test_the_source_ref_must_match_the_policys_patterns_when_it_names_any():
    tags_only = dataclasses.replace(policy(), source_refs=("refs/tags/v*",))
    assert judge(envelope(), DIGEST, "github.com/acme/robot", tags_only).verified  # refs/tags/v1
    branch = envelope(repo="git+https://github.com/acme/robot@refs/heads/dev")
    verdict = judge(branch, DIGEST, "github.com/acme/robot", tags_only)
    assert verdict.failed == ("source: ref refs/heads/dev is not one the policy expects (refs/tags/v*)",)
    assert judge(branch, DIGEST, "github.com/acme/robot", policy()).verified  # no refs named: any ref


@pytest.mark.parametrize(
    ("rule", "builder", "trusted"),
    [
        (GENERATOR + "gen.yml@refs/tags/v1", GENERATOR + "gen.yml@refs/tags/v1", True),
        (GENERATOR + "gen.yml@refs/tags/v1", GENERATOR + "gen.yml@refs/tags/v1evil", False),
        (GENERATOR + "gen.yml@refs/tags/v1", GENERATOR + "gen.yml-evil@refs/tags/v1", False),
        (GENERATOR, GENERATOR + "gen.yml@refs/tags/v2.0.0", True),
        ("https://github.com/org", "https://github.com/organisation/x.yml@refs/tags/v1", False),
        ("https://github.com/org/", "https://github.com/org/repo/x.yml@refs/tags/v1", True),
        (GENERATOR, GENERATOR + "../../../evil/x.yml@refs/tags/v1", False),
        (GENERATOR, GENERATOR + "%2e%2e/evil.yml@refs/tags/v1", False),
        (GENERATOR, GENERATOR + "gen.yml@refs/tags/v1@evil", False),
        (GENERATOR, "http://github.com/slsa-framework/slsa-github-generator/.github/workflows/gen.yml", False),
    ],
)
def test_builder_prefixes_match_whole_path_segments_and_the_ref_apart(rule, builder, trusted):
    assert BuilderRule(rule, prefix=True).matches(builder) is trusted


@pytest.mark.parametrize(
    ("dependencies", "pinned"),
    [
        ([{"uri": "git+https://github.com/a/b", "digest": {"gitCommit": "a" * 40}}], True),
        ([{"uri": "pkg:pypi/x", "digest": {"sha256": "b" * 64}}, {"uri": "y", "digest": {"sha512": "c" * 128}}], True),
        ([], False),
        ([{"uri": "pkg:pypi/x", "digest": {"sha256": ""}}], False),
        ([{"uri": "pkg:pypi/x", "digest": {"sha256": "b" * 64, "md5": "d" * 32}}], False),
        ([{"uri": "pkg:pypi/x", "digest": {"vibes": "trust-me"}}], False),
        ([{"uri": "pkg:pypi/x", "digest": {"sha256": "z" * 64}}], False),
        ([{"uri": "pkg:pypi/x"}], False),
    ],
)
def test_pinned_means_every_dependency_has_a_known_well_formed_digest(dependencies, pinned):
    from slsa_watch.provenance import read

    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha256": "1" * 64}}],
                 "predicateType": "https://slsa.dev/provenance/v1",
                 "predicate": {"buildDefinition": {"buildType": "t", "resolvedDependencies": dependencies},
                               "runDetails": {"builder": {"id": "b"}}}}  # fmt: skip
    assert read(json.dumps(statement).encode()).dependencies_pinned is pinned


def test_a_deeply_nested_signed_payload_is_a_named_rejection():
    signer = ed25519.Ed25519PrivateKey.generate()
    payload = b"[" * 200_000 + b"]" * 200_000
    sig = base64.b64encode(signer.sign(pae("application/vnd.in-toto+json", payload))).decode()
    envelope = json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": base64.b64encode(payload).decode(),
                           "signatures": [{"keyid": "k", "sig": sig}]})  # fmt: skip
    pem = signer.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    policy = TrustPolicy(keys=(load_key("k", pem),), builders=(BuilderRule(GENERATOR),), source_repositories=("x",))
    verdict = judge(envelope, "a" * 64, "github.com/acme/robot", policy)
    assert not verdict.verified and verdict.failed == ("provenance: the payload is nested too deeply to read",)
    nested_envelope = "[" * 100_000 + "]" * 100_000
    assert judge(nested_envelope, "a" * 64, "github.com/acme/robot", policy).failed == (
        "envelope: nested too deeply to read",
    )


def test_a_key_of_an_algorithm_nobody_knows_is_refused_by_name():
    from cryptography.hazmat.primitives.asymmetric import dsa

    der = dsa.generate_private_key(1024).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    oid = bytes([0x2A, 0x86, 0x48, 0xCE, 0x38])
    at = der.index(oid) + 4
    unknown = der[:at] + bytes([der[at] ^ 0x01]) + der[at + 1 :]
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(unknown).decode() + "-----END PUBLIC KEY-----\n"
    with pytest.raises(ValueError, match="not one this verifier knows"):
        load_key("odd", pem)
