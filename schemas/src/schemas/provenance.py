"""Provenance context: a tenant's CI submits SLSA provenance on provenance.submitted.v1 (slsa-watch verifies it)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from schemas.envelope import CloudEvent, Contract, UtcDatetime

MAX_ENVELOPE_BYTES = 768 * 1024
"""Largest DSSE envelope accepted (bytes of its JSON): the portal refuses more, slsa-watch rejects more.

Below Kafka's default 1 MiB record limit with room for the CloudEvent around it; real provenance is
a few kilobytes (a release with thousands of subjects stays well under this)."""

VERDICT_ID_KIND = "io.trustportal.provenance.verdict.v1"
"""Both verdict types take their id from (submission event id, this): one verdict id per submission."""


class ProvenanceSubmittedData(Contract):
    """A release's artifact digest and the DSSE envelope claiming how it was built (not yet trusted)."""

    submission_id: str
    repo: str = Field(min_length=1, max_length=300, description="Source repository, e.g. github.com/acme/robot.")
    artifact_name: str = Field(min_length=1, max_length=300)
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    envelope: str = Field(
        min_length=2,
        description="The DSSE envelope, as JSON (over MAX_ENVELOPE_BYTES: rejected, saying so).",
    )
    submitted_by: str
    submitted_at: UtcDatetime


class ProvenanceSubmitted(CloudEvent):
    """Provenance was submitted for verification (unverified input)."""

    TYPE: ClassVar[str] = "io.trustportal.provenance.submitted.v1"
    type: Literal["io.trustportal.provenance.submitted.v1"] = "io.trustportal.provenance.submitted.v1"
    data: ProvenanceSubmittedData


class ProvenanceVerifiedData(Contract):
    """A submission whose provenance passed every check of the tenant's trust policy."""

    submission_id: str
    repo: str
    artifact_name: str
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    builder_id: str
    source_repo: str
    source_ref: str
    build_level: int = Field(ge=1, le=3, description="SLSA v1 Build level.")
    hermetic: bool = Field(description="The organisation's check: the build claims complete materials/environment.")
    dependencies_pinned: bool = Field(description="The organisation's check: every resolved dependency has a digest.")
    signed_by: str = Field(description="The tenant's key id that verified the signature.")
    policy_id: str = Field(description="The tenant's trust policy that judged it.")
    verified_at: UtcDatetime


class ProvenanceVerified(CloudEvent):
    """Provenance verified: signature, subject, builder and source all as the tenant's policy expects."""

    TYPE: ClassVar[str] = "io.trustportal.provenance.verified.v1"
    type: Literal["io.trustportal.provenance.verified.v1"] = "io.trustportal.provenance.verified.v1"
    data: ProvenanceVerifiedData


class ProvenanceRejectedData(Contract):
    """A submission that failed; `reasons` names every failed check."""

    submission_id: str
    repo: str
    artifact_name: str
    artifact_sha256: str
    reasons: tuple[str, ...] = Field(min_length=1)
    build_level: int = Field(ge=0, le=3, description="What the provenance would reach (0: nothing was trusted).")
    policy_id: str | None = Field(default=None, description="The tenant's trust policy that judged it (none: null).")
    rejected_at: UtcDatetime


class ProvenanceRejected(CloudEvent):
    """Provenance rejected, with every reason."""

    TYPE: ClassVar[str] = "io.trustportal.provenance.rejected.v1"
    type: Literal["io.trustportal.provenance.rejected.v1"] = "io.trustportal.provenance.rejected.v1"
    data: ProvenanceRejectedData


ProvenanceVerdict = Annotated[ProvenanceVerified | ProvenanceRejected, Field(discriminator="type")]
"""Any event on provenance.events.v1."""

VERDICT: TypeAdapter[ProvenanceVerdict] = TypeAdapter(ProvenanceVerdict)
"""Reads either verdict from JSON: `VERDICT.validate_json(body)`."""
