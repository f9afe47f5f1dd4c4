"""Onboarding's collections: onboarding_tenants and onboarding_cohorts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from schemas.read_models import CohortMember, CohortView, TenantState
from service_kit.mongo import Doc, ProjectionStore

from onboarding import projections
from onboarding.domain import TenantRecord

TENANTS = "onboarding_tenants"
COHORTS = "onboarding_cohorts"


def tenant_store(client: AsyncMongoClient[Doc], db: str) -> ProjectionStore[TenantRecord]:
    """Tenants keyed by slug."""
    return ProjectionStore(client[db][TENANTS], TenantRecord)


def member_store(client: AsyncMongoClient[Doc], db: str) -> ProjectionStore[CohortMember]:
    """Cohort members keyed by the id of the event each came from."""
    return ProjectionStore(client[db][COHORTS], CohortMember)


async def load_cohorts(client: AsyncMongoClient[Doc], db: str, names: list[str]) -> dict[str, CohortView]:
    """The views of the named cohorts that have members."""
    members = await member_store(client, db).find({"cohort": {"$in": names}})
    present = {m.cohort for m in members}
    return {name: projections.cohort_view(name, members) for name in names if name in present}


async def ensure_indexes(client: AsyncMongoClient[Doc], db: str) -> None:
    """Indexes the onboarding queries need."""
    await client[db][TENANTS].create_index("cohort")
    await client[db][TENANTS].create_index("request_id")
    await client[db][TENANTS].create_index([("state", 1), ("lease_until", 1)])
    await client[db][COHORTS].create_index("cohort")


def _due(now: datetime) -> Doc:
    return {"state": TenantState.PROVISIONED.value, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


class VerificationLeases:
    """Claims on tenants awaiting webhook verification, so one worker verifies each at a time.

    Hot-path reads and writes address documents by _id only (FerretDB v1 pushes nothing else down);
    a tenant provisioned by this worker is created already leased to it, so claiming it costs no write.
    """

    def __init__(self, collection: AsyncCollection[Doc], lease: timedelta, owner: str) -> None:
        self.collection = collection
        self.lease = lease
        self.owner = owner

    def hold(self, record: TenantRecord, now: datetime) -> TenantRecord:
        """`record` leased to this worker from `now` (for a record about to be created)."""
        return record.model_copy(update={"lease_until": now + self.lease, "lease_owner": self.owner})

    async def claim(self, slug: str, now: datetime) -> TenantRecord | None:
        """Take (or keep) the lease on `slug` if it awaits verification and nobody else holds it."""
        doc = await self.collection.find_one({"_id": slug})
        if doc is None:
            return None
        # None matches a document that has no revision yet (created by insert, never updated).
        record, rev = TenantRecord.model_validate(doc), doc.get("_rev")
        if record.state is not TenantState.PROVISIONED:
            return None
        live = record.lease_until is not None and record.lease_until > now
        if live and record.lease_owner == self.owner:
            return record
        if live:
            return None
        result = await self.collection.update_one(
            {"_id": slug, "_rev": rev},
            {"$set": {"lease_until": now + self.lease, "lease_owner": self.owner}, "$inc": {"_rev": 1}},
        )
        if result.matched_count != 1:
            return None
        return self.hold(record, now)

    async def renew(self, slug: str, now: datetime) -> bool:
        """Extend this worker's lease on `slug` while its verification runs; False if it is gone."""
        result = await self.collection.update_one({"_id": slug}, {"$set": {"lease_until": now + self.lease}})
        return result.matched_count == 1

    @contextlib.asynccontextmanager
    async def held(self, slug: str, clock: Callable[[], datetime]) -> AsyncIterator[None]:
        """Keep renewing the lease on `slug` every third of its length until the block ends.

        A short lease then suffices: a crashed worker's tenants are picked up soon after, while a
        slow but live verification keeps its claim.
        """

        async def renew_forever() -> None:
            while True:
                await asyncio.sleep(self.lease.total_seconds() / 3)
                await self.renew(slug, clock())

        renewer = asyncio.create_task(renew_forever())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def due(self, now: datetime, *, limit: int = 500) -> list[str]:
        """Slugs awaiting verification with no live lease (after a crash or a restart)."""
        return [doc["_id"] async for doc in self.collection.find(_due(now), {"_id": 1}, limit=limit)]


def leases(client: AsyncMongoClient[Doc], db: str, lease: timedelta, owner: str) -> VerificationLeases:
    """Verification leases on the tenants collection, held in the name of `owner`."""
    return VerificationLeases(client[db][TENANTS], lease, owner)
