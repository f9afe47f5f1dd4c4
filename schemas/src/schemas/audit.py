"""Audit context: every access decision the portal takes, on audit.events.v1."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime


class AccessDecidedData(Contract):
    """Who asked to do what to which resource of which tenant, and what the policy answered."""

    subject: str = Field(description="User id or API key id (never a secret).")
    subject_kind: Literal["user", "api_key"] = "user"
    tenant: str
    action: str
    resource: str = Field(max_length=512, description="The resource's path or id, within the tenant.")
    allowed: bool
    policy_bundle_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    legal_basis: str = Field(default="", description="The reading context the policy decided, e.g. contract.")
    purpose: str = Field(default="", description="e.g. operations, audit, billing, reporting.")
    fields_shown: tuple[str, ...] = ()
    fields_withheld: tuple[str, ...] = ()
    decided_at: UtcDatetime


class AccessDecided(CloudEvent):
    """An access decision was taken."""

    TYPE: ClassVar[str] = "io.trustportal.audit.access-decided.v1"
    type: Literal["io.trustportal.audit.access-decided.v1"] = "io.trustportal.audit.access-decided.v1"
    data: AccessDecidedData
