"""SLSA watch's rules around the verdict: a tenant's policy from its event, a submission's outcome as a fact.

Pure: events in, events out; the clock is passed in. A redelivered submission yields the same event id
(derived from the submission's, the same for either verdict type), so downstream deduplication holds.
"""

from __future__ import annotations

from datetime import datetime

from schemas.envelope import derived_id
from schemas.policy import TrustPolicyUpdated
from schemas.provenance import (
    VERDICT_ID_KIND,
    ProvenanceRejected,
    ProvenanceRejectedData,
    ProvenanceSubmitted,
    ProvenanceVerified,
    ProvenanceVerifiedData,
)

from slsa_watch.dsse import TrustedKey, load_key
from slsa_watch.verdict import BuilderRule, TrustPolicy, Verdict, judge

SOURCE = "/services/slsa-watch"


def policy_of(event: TrustPolicyUpdated) -> TrustPolicy:
    """The verifier's view of a tenant's registered trust policy (keys that do not load are left out)."""
    keys: list[TrustedKey] = []
    for key in event.data.keys:
        try:
            keys.append(load_key(key.key_id, key.public_key_pem))
        except ValueError:
            continue  # the portal checks keys on registration; an unusable one verifies nothing
    return TrustPolicy(
        keys=tuple(keys),
        builders=tuple(BuilderRule(b.id, prefix=b.prefix, hardened=b.hardened) for b in event.data.builders),
        source_repositories=event.data.source_repositories,
        policy_id=event.data.policy_id,
        source_refs=event.data.source_refs,
    )


def decide(
    submission: ProvenanceSubmitted, policy: TrustPolicy | None, now: datetime
) -> ProvenanceVerified | ProvenanceRejected:
    """The fact a submission becomes under the tenant's policy (no policy registered: rejected, saying so)."""
    d = submission.data
    if policy is None:
        verdict = Verdict(("policy: the tenant has registered no trust policy",), build_level=0)
    else:
        verdict = judge(d.envelope, d.artifact_sha256, d.repo, policy)
    fact: ProvenanceVerifiedData | ProvenanceRejectedData
    about = d.model_dump(include={"submission_id", "repo", "artifact_name", "artifact_sha256"})
    if verdict.verified and verdict.provenance is not None:
        p = verdict.provenance
        fact = ProvenanceVerifiedData(
            **about,
            builder_id=p.builder_id,
            source_repo=p.source_repo,
            source_ref=p.source_ref,
            build_level=verdict.build_level,
            hermetic=verdict.hermetic,
            dependencies_pinned=verdict.pinned,
            signed_by=verdict.signed_by,
            policy_id=policy.policy_id if policy else "",
            verified_at=now,
        )
    else:
        fact = ProvenanceRejectedData(
            **about,
            reasons=verdict.failed,
            build_level=verdict.build_level,
            policy_id=policy.policy_id if policy else None,
            rejected_at=now,
        )
    kind = ProvenanceVerified if isinstance(fact, ProvenanceVerifiedData) else ProvenanceRejected
    return kind.create(
        data=fact,
        subject=f"/tenants/{submission.tenantid}/provenance/{d.submission_id}",
        source=SOURCE,
        tenantid=submission.tenantid,
        time=now,
        id=derived_id(submission.id, VERDICT_ID_KIND),
    )
