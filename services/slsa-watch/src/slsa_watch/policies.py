"""Each tenant's trust policy in force, kept from policy.events.v1 (collection `slsa_policies`, key: tenant).

The newest update wins (by its `updated_at`). The verifier reads policies through a short per-process
cache: a replica that did not consume an update itself sees it within `policy_cache_s`. A tenant
without a policy is never cached, so a policy registered just before its first submission is found.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from schemas.envelope import Contract, UtcDatetime
from schemas.policy import TrustPolicyUpdated
from service_kit.mongo import ProjectionStore

from slsa_watch.domain import policy_of
from slsa_watch.verdict import TrustPolicy


class StoredPolicy(Contract):
    """The newest TrustPolicyUpdated of a tenant."""

    tenant: str
    updated_at: UtcDatetime
    event: TrustPolicyUpdated


class PolicyBook:
    """Trust policies by tenant: recorded from events, read (cached) by the verifier."""

    def __init__(
        self, store: ProjectionStore[StoredPolicy], ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store, self.ttl_s, self.clock = store, ttl_s, clock
        self.cache: dict[str, tuple[float, TrustPolicy]] = {}

    async def record(self, event: TrustPolicyUpdated) -> bool:
        """Keep `event` if it is the tenant's newest policy; False when an equal or newer one is kept."""
        tenant = event.tenantid
        entry = StoredPolicy(tenant=tenant, updated_at=event.data.updated_at, event=event)
        current = await self.store.get(tenant)
        if current is None:
            kept = await self.store.insert_once(tenant, entry)
            if not kept:  # a concurrent first write: compare against it
                return await self.record(event)
        elif event.data.updated_at > current.updated_at:
            await self.store.put(tenant, entry)
        else:
            return False
        self.cache.pop(tenant, None)
        return True

    async def policy(self, tenant: str) -> TrustPolicy | None:
        """The tenant's policy in force, or None when it registered none."""
        now = self.clock()
        hit = self.cache.get(tenant)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        stored = await self.store.get(tenant)
        if stored is None:
            return None
        policy = policy_of(stored.event)
        self.cache[tenant] = (now, policy)
        return policy
