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
from service_kit.caching import TtlCache
from service_kit.folds import newest_wins

from slsa_watch.domain import policy_of
from slsa_watch.ports import WritableViews
from slsa_watch.verdict import TrustPolicy


class StoredPolicy(Contract):
    """The newest TrustPolicyUpdated of a tenant."""

    tenant: str
    updated_at: UtcDatetime
    event: TrustPolicyUpdated


class PolicyBook:
    """Trust policies by tenant: recorded from events (the newest wins), read by the verifier through a short cache."""

    def __init__(
        self, store: WritableViews[StoredPolicy], ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        # "no policy" is asked again each time: another replica may record one at any moment
        self.cache: TtlCache[str, TrustPolicy | None] = TtlCache(self.load, ttl_s, clock=clock, keep_absent=False)

    async def record(self, event: TrustPolicyUpdated) -> bool:
        """Keep `event` if it is the tenant's newest policy; False when an equal or newer one is kept."""
        tenant = event.tenantid
        entry = newest_wins(
            await self.store.get(tenant),
            StoredPolicy(tenant=tenant, updated_at=event.data.updated_at, event=event),
            lambda stored: stored.updated_at,
        )
        if entry is None:
            return False
        await self.store.save(tenant, entry)  # one writer per tenant: the consumer of its partition
        self.cache.forget(tenant)
        return True

    async def load(self, tenant: str) -> TrustPolicy | None:
        """The tenant's stored policy, parsed; None when it registered none."""
        stored = await self.store.get(tenant)
        return None if stored is None else policy_of(stored.event)

    async def policy(self, tenant: str) -> TrustPolicy | None:
        """The tenant's policy in force, or None when it registered none."""
        return await self.cache.get(tenant)
