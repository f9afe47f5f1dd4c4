"""MongoDB for the portal: its own collections, the read models it reads from other services, GridFS archives."""

from __future__ import annotations

from dataclasses import dataclass

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import AsyncMongoClient
from schemas.evidence import EVIDENCE_BUCKET
from schemas.read_models import SlsaRepoStatus, TenantView
from schemas.revenue import RevenueReport
from service_kit.mongo import Doc, ProjectionStore

from portal_api.api_keys import ApiKeyRecord
from portal_api.audit import AuditEntry
from portal_api.idempotency import IdempotencyKeys
from portal_api.members import Member
from portal_api.settings import PortalSettings
from portal_api.views import (
    BoardPackView,
    EvidencePackView,
    InvoiceEntry,
    PaymentEntry,
    TrustPolicyView,
    UsageEntry,
    VerdictView,
)

# The portal's own collections (database PORTAL_MONGO_DB).
API_KEYS = "portal_api_keys"
USERS = "portal_users"
AUDIT = "portal_audit"
USAGE = "portal_usage"
INVOICES = "portal_invoices"
PAYMENTS = "portal_payments"
BOARD_PACKS = "portal_board_packs"
TRUST_POLICIES = "portal_trust_policies"
EVIDENCE_PACKS = "portal_evidence_packs"
VERDICTS = "portal_verdicts"
IDEMPOTENCY = "portal_idempotency"
RATE_LIMITS = "portal_rate_limits"
# Read models other services own; the portal only reads them.
ONBOARDING_TENANTS = "onboarding_tenants"
SLSA_REPOS = "slsa_repos"
BOARD_REVENUE = "board_revenue"
BOARD_PDF_BUCKET = "board_packs"


class GridFsArchives:
    """Another service's files in a GridFS bucket, read only: the evidence packs' archives, the board's PDFs."""

    def __init__(self, bucket: AsyncGridFSBucket) -> None:
        self.bucket = bucket

    async def read(self, file_id: str) -> bytes | None:
        """The file's bytes, or None when it is not stored."""
        try:
            stream = await self.bucket.open_download_stream(file_id)
        except NoFile:
            return None
        return bytes(await stream.read())


@dataclass(frozen=True)
class PortalStores:
    """Every store the portal reads or writes, each typed by its read model."""

    tenants: ProjectionStore[TenantView]
    slsa_repos: ProjectionStore[SlsaRepoStatus]
    keys: ProjectionStore[ApiKeyRecord]
    users: ProjectionStore[Member]
    audit: ProjectionStore[AuditEntry]
    usage: ProjectionStore[UsageEntry]
    invoices: ProjectionStore[InvoiceEntry]
    payments: ProjectionStore[PaymentEntry]
    board_packs: ProjectionStore[BoardPackView]
    revenue: ProjectionStore[RevenueReport]
    board_pdfs: GridFsArchives
    trust_policies: ProjectionStore[TrustPolicyView]
    evidence_packs: ProjectionStore[EvidencePackView]
    verdicts: ProjectionStore[VerdictView]
    archives: GridFsArchives
    idempotency: IdempotencyKeys

    @classmethod
    def of(cls, mongo: AsyncMongoClient[Doc], settings: PortalSettings) -> PortalStores:
        """The stores in the databases `settings` names."""
        db = mongo[settings.mongo_db]
        return cls(
            tenants=ProjectionStore(mongo[settings.onboarding_db][ONBOARDING_TENANTS], TenantView),
            slsa_repos=ProjectionStore(mongo[settings.slsa_db][SLSA_REPOS], SlsaRepoStatus),
            keys=ProjectionStore(db[API_KEYS], ApiKeyRecord),
            users=ProjectionStore(db[USERS], Member),
            audit=ProjectionStore(db[AUDIT], AuditEntry),
            usage=ProjectionStore(db[USAGE], UsageEntry),
            invoices=ProjectionStore(db[INVOICES], InvoiceEntry),
            payments=ProjectionStore(db[PAYMENTS], PaymentEntry),
            board_packs=ProjectionStore(db[BOARD_PACKS], BoardPackView),
            revenue=ProjectionStore(mongo[settings.board_db][BOARD_REVENUE], RevenueReport),
            board_pdfs=GridFsArchives(AsyncGridFSBucket(mongo[settings.board_db], bucket_name=BOARD_PDF_BUCKET)),
            trust_policies=ProjectionStore(db[TRUST_POLICIES], TrustPolicyView),
            evidence_packs=ProjectionStore(db[EVIDENCE_PACKS], EvidencePackView),
            verdicts=ProjectionStore(db[VERDICTS], VerdictView),
            archives=GridFsArchives(AsyncGridFSBucket(mongo[settings.evidence_db], bucket_name=EVIDENCE_BUCKET)),
            idempotency=IdempotencyKeys(db[IDEMPOTENCY]),
        )


async def ensure_indexes(mongo: AsyncMongoClient[Doc], settings: PortalSettings) -> None:
    """The indexes the portal's queries use (idempotent)."""
    await mongo[settings.mongo_db][AUDIT].create_index([("tenant", 1), ("decided_at", -1)])


async def seed_members(mongo: AsyncMongoClient[Doc], settings: PortalSettings, members: list[Member]) -> None:
    """Write the dev users' memberships (dev mode), replacing what is there."""
    for member in members:
        await mongo[settings.mongo_db][USERS].replace_one({"_id": member.id}, member.model_dump(), upsert=True)
