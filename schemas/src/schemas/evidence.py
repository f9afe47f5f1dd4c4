"""Evidence context: pack requests on evidence.requests.v1; built and failed packs on evidence.events.v1."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime

EVIDENCE_BUCKET = "evidence_packs"
"""The GridFS bucket holding pack archives (file id: the pack id); the portal reads it to serve downloads."""

Scope = Literal["provenance", "policy", "onboarding", "sla"]
SCOPES: tuple[Scope, ...] = ("provenance", "policy", "onboarding", "sla")


class PackRequestedData(Contract):
    """A request for a tenant's evidence pack over a period."""

    pack_request_id: str
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Calendar month, YYYY-MM.")
    scope: tuple[Scope, ...] = SCOPES
    requested_by: str
    requested_at: UtcDatetime


class PackRequested(CloudEvent):
    """A tenant asked for an evidence pack (a command, on evidence.requests.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.evidence.pack-requested.v1"
    type: Literal["io.trustportal.evidence.pack-requested.v1"] = "io.trustportal.evidence.pack-requested.v1"
    data: PackRequestedData


class PackBuiltData(Contract):
    """A tenant's evidence pack was built, signed, stored and recorded in the ledger."""

    pack_id: str
    pack_request_id: str | None = Field(default=None, description="The request it answers (none: scheduled).")
    period: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="The pack digest (sha256 of the archive).")
    size: int = Field(ge=0)
    item_count: int = Field(ge=0)
    ledger_index: int = Field(ge=0)
    tree_size: int = Field(ge=1, description="The ledger's size in the signed head that proves the pack.")
    root_hash: str = Field(description="That head's root, hex.")
    built_at: UtcDatetime
    time_to_pack_s: float = Field(ge=0, description="From the request to the pack in the ledger.")
    signature: dict[str, Any] = Field(description="DSSE envelope: the platform's in-toto Statement over the digest.")
    inclusion_proof: dict[str, Any] = Field(description="The pack's entry, index and audit path in the ledger.")
    tree_head: dict[str, Any] = Field(description="The signed tree head the proof leads to.")


class PackBuilt(CloudEvent):
    """An evidence pack is ready (on evidence.events.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.evidence.pack-built.v1"
    type: Literal["io.trustportal.evidence.pack-built.v1"] = "io.trustportal.evidence.pack-built.v1"
    data: PackBuiltData


class PackFailedData(Contract):
    """A pack could not be built; `reason` says why."""

    pack_request_id: str | None = None
    period: str
    reason: str
    failed_at: UtcDatetime


class PackFailed(CloudEvent):
    """An evidence pack request failed (on evidence.events.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.evidence.pack-failed.v1"
    type: Literal["io.trustportal.evidence.pack-failed.v1"] = "io.trustportal.evidence.pack-failed.v1"
    data: PackFailedData


class AnchorRequestedData(Contract):
    """A request to record a document's digest in the evidence ledger (the board pack's PDF)."""

    anchor_id: str = Field(min_length=1, max_length=128)
    kind: Literal["board-pack"]
    subject: str = Field(min_length=1, max_length=200, description="What is anchored, e.g. board-2026-05.pdf.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    requested_at: UtcDatetime


class AnchorRequested(CloudEvent):
    """Record a digest in the ledger (a command, on evidence.requests.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.evidence.anchor-requested.v1"
    type: Literal["io.trustportal.evidence.anchor-requested.v1"] = "io.trustportal.evidence.anchor-requested.v1"
    data: AnchorRequestedData


class AnchoredData(Contract):
    """A digest is in the ledger: its entry, index, inclusion proof and the signed tree head it leads to."""

    anchor_id: str
    kind: Literal["board-pack"]
    subject: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    ledger_index: int = Field(ge=0)
    inclusion_proof: dict[str, Any]
    tree_head: dict[str, Any]
    anchored_at: UtcDatetime


class Anchored(CloudEvent):
    """A digest was recorded in the ledger (on evidence.events.v1); the same digest is recorded once."""

    TYPE: ClassVar[str] = "io.trustportal.evidence.anchored.v1"
    type: Literal["io.trustportal.evidence.anchored.v1"] = "io.trustportal.evidence.anchored.v1"
    data: AnchoredData


EvidenceRequest = Annotated[PackRequested | AnchorRequested, Field(discriminator="type")]
"""Any command on evidence.requests.v1."""

EvidenceFact = Annotated[PackBuilt | PackFailed | Anchored, Field(discriminator="type")]
"""Any event on evidence.events.v1."""
