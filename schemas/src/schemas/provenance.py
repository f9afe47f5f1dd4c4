"""Provenance context: a tenant's CI submits SLSA provenance on provenance.submitted.v1 (slsa-watch verifies it)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime

MAX_ENVELOPE_BYTES = 4 * 1024 * 1024
"""Largest DSSE envelope the portal accepts (bytes of its JSON); slsa-watch enforces its own bound too."""


class ProvenanceSubmittedData(Contract):
    """A release's artifact digest and the DSSE envelope claiming how it was built (not yet trusted)."""

    submission_id: str
    repo: str = Field(min_length=1, max_length=300, description="Source repository, e.g. github.com/acme/robot.")
    artifact_name: str = Field(min_length=1, max_length=300)
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    envelope: str = Field(min_length=2, max_length=MAX_ENVELOPE_BYTES, description="The DSSE envelope, as JSON.")
    submitted_by: str
    submitted_at: UtcDatetime


class ProvenanceSubmitted(CloudEvent):
    """Provenance was submitted for verification (unverified input)."""

    TYPE: ClassVar[str] = "io.trustportal.provenance.submitted.v1"
    type: Literal["io.trustportal.provenance.submitted.v1"] = "io.trustportal.provenance.submitted.v1"
    data: ProvenanceSubmittedData
