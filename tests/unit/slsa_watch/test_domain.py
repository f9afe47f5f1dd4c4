"""From a submission and the tenant's registered policy to the fact on provenance.events.v1."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.provenance import ProvenanceRejected, ProvenanceSubmitted, ProvenanceSubmittedData, ProvenanceVerified
from slsa_watch.domain import decide, policy_of

from tests.unit.slsa_watch.test_verdict import DIGEST, GENERATOR, PEM, envelope

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def submission(document: str, digest: str = DIGEST) -> ProvenanceSubmitted:
    return ProvenanceSubmitted.create(
        data=ProvenanceSubmittedData(
            submission_id="s1", repo="github.com/acme/robot", artifact_name="robot", artifact_sha256=digest,
            envelope=document, submitted_by="apikey:k", submitted_at=NOW,
        ),
        id="s1", source="/services/portal-api", tenantid="acme", time=NOW,
    )  # fmt: skip


def registered(*, hardened: bool) -> TrustPolicyUpdated:
    return TrustPolicyUpdated.create(
        data=TrustPolicyUpdatedData(
            policy_id="p1",
            keys=(
                TrustedKey(key_id="acme-release", algorithm="ed25519", public_key_pem=PEM),
                TrustedKey(key_id="broken", algorithm="ed25519", public_key_pem="-----BEGIN PUBLIC KEY-----\nAA==\n"),
            ),
            builders=(TrustedBuilder(id=GENERATOR, prefix=True, hardened=hardened),),
            source_repositories=("github.com/acme/robot",),
            updated_by="ana", updated_at=NOW,
        ),
        source="/services/portal-api", tenantid="acme", time=NOW,
    )  # fmt: skip


def test_a_verified_submission_becomes_provenance_verified_with_its_level_and_checks():
    fact = decide(submission(envelope()), policy_of(registered(hardened=True)), NOW)
    assert isinstance(fact, ProvenanceVerified)
    assert (fact.data.build_level, fact.data.hermetic, fact.data.dependencies_pinned) == (3, True, True)
    assert fact.data.source_repo == "github.com/acme/robot" and fact.data.signed_by == "acme-release"
    assert fact.id == decide(submission(envelope()), policy_of(registered(hardened=True)), NOW).id  # redelivery


def test_a_failed_submission_becomes_provenance_rejected_with_every_reason():
    fact = decide(submission(envelope(), digest="d" * 64), policy_of(registered(hardened=False)), NOW)
    assert isinstance(fact, ProvenanceRejected)
    assert fact.data.reasons == (f"subject: no subject has sha256 {'d' * 64}",) and fact.data.build_level == 2


def test_without_a_registered_policy_everything_is_rejected_saying_so():
    fact = decide(submission(envelope()), None, NOW)
    assert isinstance(fact, ProvenanceRejected)
    assert fact.data.reasons == ("policy: the tenant has registered no trust policy",)


def test_a_key_that_does_not_load_is_left_out_of_the_policy():
    assert [k.key_id for k in policy_of(registered(hardened=True)).keys] == ["acme-release"]
