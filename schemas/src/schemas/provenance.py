"""Provenance context: a tenant's CI submits SLSA provenance on provenance.submitted.v1 (slsa-watch verifies it)."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from schemas.envelope import CloudEvent, Contract, UtcDatetime

MAX_ENVELOPE_BYTES = 768 * 1024
"""Largest DSSE envelope accepted (bytes of its JSON): the portal refuses more, slsa-watch rejects more.

Below Kafka's default 1 MiB record limit with room for the CloudEvent around it; real provenance is
a few kilobytes (a release with thousands of subjects stays well under this)."""

REPO_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REPO_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def canonical_repo(value: str) -> str:
    """A source repository in its one spelling: `host/owner/name`, lower case, no scheme, `.git` or `/`.

    `https://GitHub.com/Acme/Robot.git`, `git+https://github.com/acme/robot/` and
    `git@github.com:acme/robot.git` are all `github.com/acme/robot`. Raises ValueError naming the
    problem for anything that is not a repository address (a ref, query, port, user or `..` in it).
    """
    text = value.strip()
    lowered = text.lower()
    for scheme in ("git+https://", "git+http://", "https://", "http://", "ssh://", "git://"):
        if lowered.startswith(scheme):
            text = text[len(scheme) :]
            break
    else:
        if re.match(r"^[A-Za-z0-9._-]+@[^/:]+:", text):  # scp-like: git@github.com:acme/robot.git
            text = text.split("@", 1)[1].replace(":", "/", 1)
    text = text.lower().rstrip("/")
    text = text.removesuffix(".git").rstrip("/")
    if any(c in text for c in "@?#:\\ "):
        raise ValueError(f"{value[:100]!r} is not a repository address (no ref, query, port or user in it)")
    host, _, path = text.partition("/")
    segments = path.split("/") if path else []
    if not REPO_HOST.match(host) or len(segments) < 2:
        raise ValueError(f"{value[:100]!r} is not host/owner/name (e.g. github.com/acme/robot)")
    bad = [seg for seg in segments if not REPO_SEGMENT.match(seg) or seg in {".", ".."} or ".." in seg]
    if bad:
        raise ValueError(f"{value[:100]!r}: {bad[0]!r} is not a repository path segment")
    return f"{host}/{'/'.join(segments)}"


def repo_key(value: str) -> str:
    """The canonical spelling where there is one (older events may hold others), else the value lower-cased."""
    try:
        return canonical_repo(value)
    except ValueError:
        return value.strip().lower()


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


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding of an envelope: what its signatures sign."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
