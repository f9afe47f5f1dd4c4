"""Membership: which tenants a user belongs to and with which roles (collection `portal_users`).

The identity provider proves who a user is; the portal's own membership decides what they may do,
so a token minted with generous claims grants nothing the portal has not recorded.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, TypeAdapter
from schemas.envelope import Contract, UtcDatetime
from schemas.tenant import RESERVED_SLUGS, SLUG_LENGTH, SLUG_PATTERN, is_tenant_slug

from portal_api.authorization import Subject

TenantRole = Literal["admin", "engineer", "auditor", "finance", "viewer"]
PlatformRole = Literal["platform-admin", "executive"]
TENANT_PATTERN = SLUG_PATTERN


def partner_tenant(value: str) -> str:
    """`value` when it can be a partner's tenant id; ValueError (a 422) for a reserved or malformed one."""
    if not is_tenant_slug(value):
        low, high = SLUG_LENGTH
        why = "is reserved" if value in RESERVED_SLUGS else f"is not a tenant id ({low}-{high} of a-z, 0-9, '-')"
        raise ValueError(f"{value[:60]!r} {why}")
    return value


TenantId = Annotated[str, AfterValidator(partner_tenant)]


class Member(Contract):
    """A user's memberships: roles per tenant, and platform roles (staff of the platform itself)."""

    id: str = Field(min_length=1, max_length=200)
    name: str = ""
    tenant_roles: dict[TenantId, tuple[TenantRole, ...]] = Field(default_factory=dict)
    platform_roles: tuple[PlatformRole, ...] = ()
    updated_at: UtcDatetime | None = None

    def subject(self) -> Subject:
        """The member as the policy sees it."""
        return Subject(id=self.id, tenant_roles=dict(self.tenant_roles), platform_roles=self.platform_roles)


MEMBERS = TypeAdapter(list[Member])


def load_members(path: Path) -> list[Member]:
    """Members from a JSON list (the dev users file has the same shape)."""
    return MEMBERS.validate_python(json.loads(path.read_text()))


def stamped(members: list[Member], now: datetime) -> list[Member]:
    """Members with their update time set."""
    return [m.model_copy(update={"updated_at": now}) for m in members]
