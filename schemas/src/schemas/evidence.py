"""Evidence context: pack requests on evidence.requests.v1 (the packs themselves come with the evidence service)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime

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
