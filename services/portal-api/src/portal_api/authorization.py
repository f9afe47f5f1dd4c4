"""Every portal decision in one place: ask the policy (allow, reading context, fields), record the fact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from schemas.audit import AccessDecided, AccessDecidedData

SOURCE = "/services/portal-api"


@dataclass(frozen=True)
class Verdict:
    """The policy's whole answer to one request: allowed, under which reading context, which fields."""

    allowed: bool
    legal_basis: str
    purpose: str
    shown: frozenset[str]
    withheld: frozenset[str]

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> Verdict:
        """The verdict in the policy's own words (the value of `data.portal.decision.result`)."""
        return cls(
            allowed=answer.get("allow") is True,
            legal_basis=str(answer.get("legal_basis", "none")),
            purpose=str(answer.get("purpose", "none")),
            shown=frozenset(answer.get("shown") or ()),
            withheld=frozenset(answer.get("withheld") or ()),
        )


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

    def member_of(self, tenant: str) -> bool:
        """Whether the subject holds a role in `tenant` or a platform role (which acts in every tenant)."""
        return bool(self.tenant_roles.get(tenant)) or bool(self.platform_roles)

    def as_input(self) -> dict[str, Any]:
        """The subject as the policy sees it."""
        return {
            "id": self.id,
            "tenant_roles": {t: list(r) for t, r in self.tenant_roles.items()},
            "platform_roles": list(self.platform_roles),
        }


@dataclass(frozen=True)
class Access:
    """The answer to one request: allowed or not, which of the view's fields to show, and the audit fact."""

    allowed: bool
    fields: frozenset[str]
    withheld: frozenset[str]
    fact: AccessDecided


def policy_input(
    subject: Subject, *, tenant: str, action: str, owner: str | None = None, attributes: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What the policy decides on.

    `owner` is the tenant that owns the resource (the path tenant when the resource is the tenant's
    view, or does not exist); `attributes` describe it further (e.g. the role an API key would carry).
    """
    resource = {**(attributes or {}), "tenant": tenant if owner is None else owner}
    return {"subject": subject.as_input(), "tenant": tenant, "action": action, "resource": resource}


def granted(
    verdict: Verdict, subject: Subject, *, tenant: str, action: str, resource: str, now: datetime, bundle: str
) -> Access:
    """The access a verdict grants, and the AccessDecided fact that records it (withheld fields named, never values)."""
    fact = AccessDecided.create(
        data=AccessDecidedData(
            subject=subject.id,
            subject_kind=subject.kind,
            tenant=tenant,
            action=action,
            resource=resource,
            allowed=verdict.allowed,
            policy_bundle_sha256=bundle,
            legal_basis=verdict.legal_basis,
            purpose=verdict.purpose,
            fields_shown=tuple(sorted(verdict.shown)),
            fields_withheld=tuple(sorted(verdict.withheld)),
            decided_at=now,
        ),
        source=SOURCE,
        tenantid=tenant,
        subject=resource,
        time=now,
    )
    return Access(allowed=verdict.allowed, fields=verdict.shown, withheld=verdict.withheld, fact=fact)
