"""The access gate every tenant-scoped request passes: rate limits, the policy's decision, the audit record.

Built once in app.py. Metering is not here: what a request costs is counted by the route after the
gate admits it (metering.py), because page views, writes and API reads are billed differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.tenant import PLATFORM_TENANT

from portal_api.authorization import Access, Subject, granted, policy_input
from portal_api.errors import ForbiddenError
from portal_api.ports import AuditTrail, Clock, Policy
from portal_api.rate_limit import RateLimiter


class AccessGate:
    """Admits a subject to one action on one tenant's resource, or refuses it; every decision is audited."""

    def __init__(self, policy: Policy, limiter: RateLimiter, audit: AuditTrail, clock: Clock) -> None:
        self.policy = policy
        self.limiter = limiter
        self.audit = audit
        self.clock = clock

    async def admit(
        self,
        who: Subject,
        tenant: str,
        action: str,
        resource: str,
        *,
        owner: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Access:
        """Count the request, decide, put the decision on the audit trail; raise when refused or limited.

        Returns the access: the fields of the view the presentation guard lets this subject see, and
        those it withholds. `owner` is the tenant that owns the resource, where it has one.
        A subject with no role in the tenant can only be refused: those refusals go to the platform's
        security trail (never the tenant's, which strangers cannot write into), and past the refusals
        limit a subject is answered 429 without another record. No record, no access: the decision
        is acknowledged by Kafka before the answer goes out.
        """
        at = self.clock()
        self.limiter.hit("subject", who.id, at)
        stranger = not who.member_of(tenant)
        if stranger:
            self.limiter.hit("refusals", who.id, at)
        document = policy_input(who, tenant=tenant, action=action, owner=owner, attributes=attributes)
        verdict = await self.policy.verdict(document)
        access = granted(
            verdict, who, tenant=tenant, action=action, resource=resource, now=at, bundle=self.policy.sha256
        )
        fact = access.fact
        if stranger:
            fact = fact.model_copy(update={"tenantid": PLATFORM_TENANT})
        await self.audit.record(fact)
        if not access.allowed:
            raise ForbiddenError
        # Only members' requests count against a tenant's limit: strangers cannot exhaust it.
        self.limiter.hit("tenant", tenant, at)
        return access

    def may(self, who: Subject, tenant: str, action: str, attributes: Mapping[str, Any] | None = None) -> bool:
        """Whether the policy would allow `action` (to show or hide a control; the request itself is decided again)."""
        return self.policy.allow(policy_input(who, tenant=tenant, action=action, attributes=attributes))

    def count(self, who: Subject) -> None:
        """Count a request that reads only the caller's own identity against its subject limit."""
        self.limiter.hit("subject", who.id, self.clock())
