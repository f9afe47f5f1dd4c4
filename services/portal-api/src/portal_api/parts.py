"""What the HTTP routes are given, built once by app.py: the request path's parts, and the read models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from schemas.read_models import SlsaRepoStatus, TenantView
from schemas.revenue import RevenueReport
from service_kit.caching import TtlCache

from portal_api.audit import AuditEntry
from portal_api.downloads import Downloads
from portal_api.gate import AccessGate
from portal_api.identity import Identities
from portal_api.key_admin import KeyAdmin
from portal_api.members import Member
from portal_api.metering import Metering
from portal_api.ports import Views
from portal_api.reads import Ledger
from portal_api.views import BoardPackView, EvidencePackView, TrustPolicyView, UsageEntry, VerdictView
from portal_api.writes import Writes

V = TypeVar("V", bound=BaseModel)


class CachedViews(Generic[V]):
    """A read model whose `get` answers are reused for a few seconds (each replica its own); `find` is not cached.

    For views that change rarely and are read on every request (a tenant's onboarding state):
    the read model is already eventually consistent, and this adds at most the cache's TTL.
    """

    def __init__(self, views: Views[V], cache: TtlCache[str, V | None]) -> None:
        self.views = views
        self.cache = cache

    async def get(self, key: str) -> V | None:
        """The view under `key`, from the cache while fresh."""
        return await self.cache.get(key)

    async def find(
        self, query: dict[str, Any], *, limit: int = 0, sort: list[tuple[str, int]] | None = None
    ) -> list[V]:
        """Straight to the store."""
        return await self.views.find(query, limit=limit, sort=sort)


@dataclass(frozen=True)
class ReadModels:
    """The read models the tabs show, each a store of one model."""

    tenants: Views[TenantView]
    slsa_repos: Views[SlsaRepoStatus]
    slsa_target_l3: int
    trust_policies: Views[TrustPolicyView]
    verdicts: Views[VerdictView]
    evidence_packs: Views[EvidencePackView]
    usage: Views[UsageEntry]
    ledger: Ledger
    board_packs: Views[BoardPackView]
    revenue: Views[RevenueReport]
    audit: Views[AuditEntry]
    users: Views[Member]


@dataclass(frozen=True)
class RequestParts:
    """Identify, admit (decide, audit, limit), meter, then read or write: each step one part."""

    identities: Identities
    gate: AccessGate
    metering: Metering
    writes: Writes
    keys: KeyAdmin
    downloads: Downloads
    reads: ReadModels
