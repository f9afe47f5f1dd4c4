"""Every portal decision in one place: ask the policy, apply the presentation guard, record the fact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from schemas.audit import AccessDecided, AccessDecidedData

from portal_api.policy import PolicyEngine

SOURCE = "/services/portal-api"


@dataclass(frozen=True)
class Subject:
    """Who is asking: a user (from a verified JWT) or a tenant's API key, with its roles."""

    id: str
    kind: Literal["user", "api_key"] = "user"
    tenant_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    platform_roles: tuple[str, ...] = ()

    def tenants(self) -> list[str]:
        """The tenants this subject belongs to (the tenant switcher offers exactly these)."""
        return sorted(t for t, roles in self.tenant_roles.items() if roles)

    def as_input(self) -> dict[str, Any]:
        """The subject as the policy sees it."""
        return {
            "id": self.id,
            "tenant_roles": {t: list(r) for t, r in self.tenant_roles.items()},
            "platform_roles": list(self.platform_roles),
        }


@dataclass(frozen=True)
class Access:
    """The answer to one request: allowed or not, which fields to show, and the audit fact."""

    allowed: bool
    fields: frozenset[str]
    fact: AccessDecided


def decide(
    engine: PolicyEngine,
    subject: Subject,
    *,
    tenant: str,
    action: str,
    resource: str,
    resource_tenant: str,
    now: datetime,
    legal_basis: str = "contract",
    purpose: str = "operations",
    fields: Iterable[str] = (),
) -> Access:
    """Decide a request and build its AccessDecided fact (fields withheld are named, values never)."""
    allowed = engine.allow(
        {"subject": subject.as_input(), "tenant": tenant, "action": action, "resource": {"tenant": resource_tenant}}
    )
    asked = frozenset(fields)
    shown = (
        asked & engine.allowed_fields({"tenant": tenant, "legal_basis": legal_basis, "purpose": purpose})
        if allowed
        else frozenset()
    )
    fact = AccessDecided.create(
        data=AccessDecidedData(
            subject=subject.id,
            subject_kind=subject.kind,
            tenant=tenant,
            action=action,
            resource=resource,
            allowed=allowed,
            policy_bundle_sha256=engine.bundle.sha256,
            fields_shown=tuple(sorted(shown)),
            fields_withheld=tuple(sorted(asked - shown)),
            decided_at=now,
        ),
        source=SOURCE,
        tenantid=tenant,
        subject=resource,
        time=now,
    )
    return Access(allowed=allowed, fields=shown, fact=fact)


def reading_context(subject: Subject, tenant: str, action: str = "overview:read") -> tuple[str, str]:
    """The legal basis and purpose under which `subject` reads `tenant`'s data for `action`.

    Finance views are read under the contract for billing; otherwise operators (and platform staff)
    read under the contract for operations, auditors under legitimate interest for audit, and
    finance staff under the contract for billing.
    """
    roles = set(subject.tenant_roles.get(tenant, ()))
    if action.startswith("finance:"):
        return "contract", "billing"
    if roles & {"admin", "engineer", "viewer"} or subject.platform_roles:
        return "contract", "operations"
    if "auditor" in roles:
        return "legitimate_interest", "audit"
    if "finance" in roles:
        return "contract", "billing"
    return "none", "none"
