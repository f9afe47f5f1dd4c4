"""The JSON API (/api/v1): every route names its tenant in the path and is decided by the policy.

No `from __future__ import annotations`: FastAPI resolves the signatures at definition time.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator
from schemas.envelope import CloudEvent
from schemas.evidence import SCOPES, PackRequested, PackRequestedData, Scope
from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.provenance import MAX_ENVELOPE_BYTES, ProvenanceSubmitted, ProvenanceSubmittedData, canonical_repo
from schemas.runner import (
    HermeticJobFinished,
    HermeticJobFinishedData,
    HermeticJobQueued,
    HermeticJobQueuedData,
    HermeticJobStarted,
    HermeticJobStartedData,
    Outcome,
)
from schemas.tenant import PLATFORM_TENANT

from portal_api import platform_reads, reads
from portal_api.api_keys import KEY_ID_PATTERN, KeyRole
from portal_api.auth import bearer_token
from portal_api.authorization import SOURCE, Access, Subject
from portal_api.downloads import PACK_ID_PATTERN, BoardFile, Download, PackFile
from portal_api.members import TENANT_PATTERN, partner_tenant
from portal_api.parts import RequestParts
from portal_api.writes import Accepted, Write
from schemas import topics

Tenant = Annotated[
    str, Path(pattern=TENANT_PATTERN, max_length=40, description="Tenant slug."), AfterValidator(partner_tenant)
]
PackId = Annotated[str, Path(pattern=PACK_ID_PATTERN, description="Evidence pack id.")]
BoardPackId = Annotated[str, Path(pattern=PACK_ID_PATTERN, description="Board pack id (its request id).")]
Month = Annotated[
    str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Calendar month, YYYY-MM (default: the newest).")
]
CohortName = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Cohort name (default: the newest cohort).")
]
SubmissionId = Annotated[
    str, Path(pattern=r"^[0-9a-f-]{36}$", description="The submission id the provenance POST answered with.")
]
KeyId = Annotated[str, Path(pattern=KEY_ID_PATTERN, description="API key id (16 characters of a-z, 2-7).")]
IdempotencyKey = Annotated[
    str | None, Header(max_length=200, description="Repeat a write safely: the same key replays the first answer.")
]


class PackRequest(BaseModel):
    """A request for an evidence pack."""

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Calendar month, YYYY-MM.")
    scope: tuple[Scope, ...] = SCOPES


class NewApiKey(BaseModel):
    """A request for an API key."""

    name: str = Field(min_length=1, max_length=80, description="What the key is for, e.g. 'release CI'.")
    role: KeyRole = "engineer"


class ProvenanceSubmission(BaseModel):
    """An artifact's digest and the DSSE envelope of its provenance (verified later by slsa-watch)."""

    repo: str = Field(
        min_length=1,
        max_length=300,
        description="The source repository; any usual spelling (https://…, git@…:…, .git) becomes host/owner/name.",
    )
    artifact_name: str = Field(min_length=1, max_length=300)
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    envelope: dict[str, Any] = Field(description="The DSSE envelope: payloadType, payload (base64), signatures.")

    @field_validator("repo")
    @classmethod
    def _canonical_repo(cls, repo: str) -> str:
        return canonical_repo(repo)  # one spelling per repository: the SLSA map counts repositories

    @field_validator("envelope")
    @classmethod
    def _bounded_dsse(cls, envelope: dict[str, Any]) -> dict[str, Any]:
        for name in ("payloadType", "payload", "signatures"):
            if name not in envelope:
                raise ValueError(f"not a DSSE envelope: {name!r} is missing")
        if len(json.dumps(envelope, separators=(",", ":"))) > MAX_ENVELOPE_BYTES:
            raise ValueError(f"the envelope is larger than {MAX_ENVELOPE_BYTES} bytes")
        return envelope


RUNNER_EVENT_PAST = timedelta(days=1)
RUNNER_EVENT_FUTURE = timedelta(minutes=5)


class RunnerEventReport(BaseModel):
    """A hermetic CI job's step in life, as the release workflow reports it (slsa-watch folds the queues)."""

    kind: Literal["queued", "started", "finished"]
    job_id: str = Field(min_length=1, max_length=200, description="The CI system's job id (e.g. run id/attempt/job).")
    pool: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$", description="Runner pool.")
    concurrency_group: str = Field(default="", max_length=300, description="e.g. hermetic-<ref>.")
    repo: str = Field(min_length=1, max_length=300, description="The repository the job builds.")
    priority: Literal["release", "default"] = Field(default="default", description="queued: the job's priority.")
    runner: str = Field(default="", max_length=200, description="started: the runner that picked the job up.")
    outcome: Outcome | None = Field(default=None, description="finished: succeeded, failed or cancelled.")
    at: datetime | None = Field(
        default=None, description="When it happened (default: now); within the last day and not in the future."
    )

    @field_validator("repo")
    @classmethod
    def _canonical_repo(cls, repo: str) -> str:
        return canonical_repo(repo)

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> "RunnerEventReport":
        if self.kind == "started" and not self.runner:
            raise ValueError("a started event names its runner")
        if self.kind == "finished" and self.outcome is None:
            raise ValueError("a finished event names its outcome (succeeded, failed or cancelled)")
        if self.at is not None:
            if self.at.tzinfo is None:
                raise ValueError("at: give a time zone (e.g. 2026-12-03T10:00:00Z)")
            now = datetime.now(UTC)
            if not now - RUNNER_EVENT_PAST <= self.at <= now + RUNNER_EVENT_FUTURE:
                raise ValueError("at: must be within the last day and not in the future")
        return self


class TrustPolicy(BaseModel):
    """A tenant's trust policy: the keys its builds are signed with, trusted builders, expected sources."""

    keys: tuple[TrustedKey, ...] = Field(min_length=1, max_length=50)
    builders: tuple[TrustedBuilder, ...] = Field(min_length=1, max_length=50)
    source_repositories: tuple[str, ...] = Field(min_length=1, max_length=500)
    source_refs: tuple[str, ...] = Field(
        default=(),
        max_length=50,
        description="Source refs the provenance may name, as glob patterns (e.g. refs/tags/v*); none: any ref.",
    )

    @model_validator(mode="after")
    def _keys_parse_as_declared(self) -> "TrustPolicy":
        expected = {"ed25519": ed25519.Ed25519PublicKey, "ecdsa-p256": ec.EllipticCurvePublicKey}
        for i, key in enumerate(self.keys):
            try:
                parsed = load_pem_public_key(key.public_key_pem.encode())
            except ValueError:
                raise ValueError(f"keys[{i}] ({key.key_id}): not a PEM public key") from None
            except UnsupportedAlgorithm:
                raise ValueError(
                    f"keys[{i}] ({key.key_id}): the key's algorithm is not Ed25519 or ECDSA P-256"
                ) from None
            curve_ok = not isinstance(parsed, ec.EllipticCurvePublicKey) or parsed.curve.name == "secp256r1"
            if not isinstance(parsed, expected[key.algorithm]) or not curve_ok:
                raise ValueError(f"keys[{i}] ({key.key_id}): the PEM is not an {key.algorithm} public key")
        return self


def api_routes(parts: RequestParts) -> APIRouter:
    """The /api/v1 routes: identify, admit, meter, read or write."""
    router = APIRouter(prefix="/api/v1")
    gate, metering, reads_of = parts.gate, parts.metering, parts.reads

    async def subject(authorization: Annotated[str | None, Header()] = None) -> Subject:
        return await parts.identities.subject(bearer_token(authorization))

    Who = Annotated[Subject, Depends(subject)]

    async def admitted(who: Subject, tenant: str, action: str, path: str) -> Access:
        access = await gate.admit(who, tenant, action, path)
        metering.count(tenant, "api_calls")
        return access

    def accepted(answer: Accepted) -> JSONResponse:
        headers = {"idempotent-replayed": "true"} if answer.replayed else None
        return JSONResponse(answer.body, status_code=202, headers=headers)

    @router.get("/me", summary="The signed-in subject and the tenants it may switch to")
    async def me(who: Who) -> dict[str, Any]:
        gate.count(who)
        return {"subject": who.id, "tenants": who.tenants(), "platform_roles": list(who.platform_roles)}

    @router.get("/tenants/{tenant}/overview", summary="Onboarding state, webhook state and cohort")
    async def overview(tenant: Tenant, who: Who) -> JSONResponse:
        access = await admitted(who, tenant, "overview:read", f"/tenants/{tenant}/overview")
        return JSONResponse(await reads.overview(reads_of.tenants, tenant, access))

    @router.get("/tenants/{tenant}/members", summary="The tenant's members and their roles")
    async def members(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await admitted(who, tenant, "members:read", f"/tenants/{tenant}/members")
        return await reads.members(reads_of.users, tenant, access)

    @router.get("/tenants/{tenant}/slsa-map", summary="SLSA build level and checks per repository")
    async def slsa_map(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await admitted(who, tenant, "slsa:read", f"/tenants/{tenant}/slsa-map")
        return await reads.slsa_map(reads_of.slsa_repos, reads_of.trust_policies, tenant, access)

    @router.get("/tenants/{tenant}/evidence-packs", summary="Built evidence packs, newest first")
    async def evidence_packs(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await admitted(who, tenant, "evidence:read", f"/tenants/{tenant}/evidence-packs")
        return await reads.evidence_packs(reads_of.evidence_packs, tenant, access)

    @router.get("/tenants/{tenant}/finance", summary="Usage by meter and period, and invoices")
    async def finance(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await admitted(who, tenant, "finance:read", f"/tenants/{tenant}/finance")
        return await reads.finance(reads_of.usage, reads_of.ledger, tenant, access)

    @router.get("/tenants/{tenant}/audit", summary="The tenant's access decisions, newest first")
    async def audit_trail(
        tenant: Tenant,
        who: Who,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[datetime | None, Query(description="Cursor: decisions strictly older than this.")] = None,
    ) -> dict[str, Any]:
        access = await admitted(who, tenant, "audit:read", f"/tenants/{tenant}/audit")
        return await reads.audit_page(reads_of.audit, tenant, access, limit, before)

    @router.get(
        "/tenants/{tenant}/evidence-packs/{pack_id}/files/{file}",
        summary="Download a pack (archive) or what verifies it offline (signature, proof, tree head)",
        response_class=Response,
        responses={200: {"content": {"application/x-tar": {}, "application/json": {}}}},
    )
    async def evidence_download(tenant: Tenant, pack_id: PackId, file: PackFile, who: Who) -> Response:
        path = f"/tenants/{tenant}/evidence-packs/{pack_id}/files/{file}"
        found = await parts.downloads.evidence_file(who, tenant, pack_id, file, path)
        metering.count(tenant, "api_calls")
        return download_response(found)

    @router.get("/platform/board-packs", summary="Board packs built or refused, with completeness (platform staff)")
    async def board_packs(who: Who) -> dict[str, Any]:
        access = await gate.admit(who, PLATFORM_TENANT, "board:read", "/platform/board-packs")
        return await reads.board_packs(reads_of.board_packs, access)

    @router.get(
        "/platform/board-packs/{pack_id}/files/{file}",
        summary="Download a board pack (pdf) or what verifies it offline (proof, tree head, completeness report)",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}, "application/json": {}}}},
    )
    async def board_download(pack_id: BoardPackId, file: BoardFile, who: Who) -> Response:
        path = f"/platform/board-packs/{pack_id}/files/{file}"
        return download_response(await parts.downloads.board_file(who, pack_id, file, path))

    @router.get("/platform/revenue", summary="A month's revenue report across tenants (platform staff)")
    async def platform_revenue(who: Who, period: Month = None) -> dict[str, Any]:
        access = await gate.admit(who, PLATFORM_TENANT, "revenue:read", "/platform/revenue")
        return await reads.platform_revenue(reads_of.revenue, period, access)

    @router.get("/platform/cohorts", summary="Onboarding cohorts: funnel, failure rate, time-to-first-verify, tenants")
    async def platform_cohorts(who: Who, cohort: CohortName = None) -> dict[str, Any]:
        access = await gate.admit(who, PLATFORM_TENANT, "cohorts:read", "/platform/cohorts")
        return await platform_reads.cohorts(reads_of.tenants, cohort, access)

    @router.get("/platform/slsa-adoption", summary="SLSA adoption across tenants: levels, L3 against the target")
    async def platform_adoption(who: Who) -> dict[str, Any]:
        access = await gate.admit(who, PLATFORM_TENANT, "adoption:read", "/platform/slsa-adoption")
        return await platform_reads.adoption(reads_of.slsa_repos, reads_of.slsa_target_l3, access)

    @router.get("/platform/evidence-slo", summary="Evidence time-to-pack p50/p95 against 7 minutes; packs per tenant")
    async def platform_evidence_slo(who: Who) -> dict[str, Any]:
        access = await gate.admit(who, PLATFORM_TENANT, "evidence-slo:read", "/platform/evidence-slo")
        return await platform_reads.evidence_slo(reads_of.evidence_packs, access)

    @router.post("/tenants/{tenant}/evidence-packs", status_code=202, summary="Request an evidence pack")
    async def request_evidence_pack(
        tenant: Tenant, body: PackRequest, who: Who, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        path = f"/tenants/{tenant}/evidence-packs"

        def build(ident: str, at: datetime) -> tuple[CloudEvent, dict[str, Any]]:
            data = PackRequestedData(
                pack_request_id=ident, period=body.period, scope=body.scope, requested_by=who.id, requested_at=at
            )
            event = PackRequested.create(data=data, id=ident, source=SOURCE, tenantid=tenant, subject=path, time=at)
            reply = {"pack_request_id": ident, "status": "accepted", "period": body.period, "scope": list(body.scope)}
            return event, reply

        write = Write(
            who, tenant, "evidence:request", path, body, idempotency_key, topics.EVIDENCE_REQUESTS, "pack_requests"
        )
        return accepted(await parts.writes.accept(write, build))

    @router.post("/tenants/{tenant}/provenance", status_code=202, summary="Submit SLSA provenance for an artifact")
    async def submit_provenance(
        tenant: Tenant, body: ProvenanceSubmission, who: Who, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        path = f"/tenants/{tenant}/provenance"

        def build(ident: str, at: datetime) -> tuple[CloudEvent, dict[str, Any]]:
            data = ProvenanceSubmittedData(
                submission_id=ident,
                repo=body.repo,
                artifact_name=body.artifact_name,
                artifact_sha256=body.artifact_sha256,
                envelope=json.dumps(body.envelope, separators=(",", ":")),
                submitted_by=who.id,
                submitted_at=at,
            )
            event = ProvenanceSubmitted.create(
                data=data, id=ident, source=SOURCE, tenantid=tenant, subject=f"{path}/{ident}", time=at
            )
            return event, {"submission_id": ident, "status": "accepted", "repo": body.repo}

        write = Write(
            who, tenant, "provenance:submit", path, body, idempotency_key, topics.PROVENANCE_SUBMITTED,
            "provenance_submissions",
        )  # fmt: skip
        return accepted(await parts.writes.accept(write, build))

    @router.get(
        "/tenants/{tenant}/provenance/{submission_id}",
        summary="A submission's verdict: pending, verified (level, hermetic, pinned) or rejected (every reason)",
    )
    async def provenance_verdict(tenant: Tenant, submission_id: SubmissionId, who: Who) -> dict[str, Any]:
        path = f"/tenants/{tenant}/provenance/{submission_id}"
        access = await admitted(who, tenant, "provenance:read", path)
        return await reads.verdict(reads_of.verdicts, tenant, submission_id, access)

    @router.post(
        "/tenants/{tenant}/runner-events", status_code=202, summary="Report a hermetic CI job queued, started, finished"
    )
    async def report_runner_event(
        tenant: Tenant, body: RunnerEventReport, who: Who, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        path = f"/tenants/{tenant}/runner-events"

        def build(ident: str, at: datetime) -> tuple[CloudEvent, dict[str, Any]]:
            when = body.at or at
            job = {"job_id": body.job_id, "pool": body.pool, "concurrency_group": body.concurrency_group,
                   "repo": body.repo}  # fmt: skip
            event: CloudEvent
            if body.kind == "queued":
                data_q = HermeticJobQueuedData(**job, priority=body.priority, queued_at=when)
                event = HermeticJobQueued.create(data=data_q, id=ident, source=SOURCE, tenantid=tenant, time=at)
            elif body.kind == "started":
                data_s = HermeticJobStartedData(**job, runner=body.runner, started_at=when)
                event = HermeticJobStarted.create(data=data_s, id=ident, source=SOURCE, tenantid=tenant, time=at)
            else:
                data_f = HermeticJobFinishedData(**job, outcome=body.outcome or "failed", finished_at=when)
                event = HermeticJobFinished.create(data=data_f, id=ident, source=SOURCE, tenantid=tenant, time=at)
            return event, {"event_id": ident, "status": "accepted", "kind": body.kind, "job_id": body.job_id}

        write = Write(who, tenant, "runner:report", path, body, idempotency_key, topics.RUNNER_EVENTS, None)
        return accepted(await parts.writes.accept(write, build))

    @router.post("/tenants/{tenant}/trust-policy", status_code=202, summary="Register the tenant's trust policy")
    async def register_trust_policy(
        tenant: Tenant, body: TrustPolicy, who: Who, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        path = f"/tenants/{tenant}/trust-policy"

        def build(ident: str, at: datetime) -> tuple[CloudEvent, dict[str, Any]]:
            data = TrustPolicyUpdatedData(policy_id=ident, **body.model_dump(), updated_by=who.id, updated_at=at)
            event = TrustPolicyUpdated.create(
                data=data, id=ident, source=SOURCE, tenantid=tenant, subject=path, time=at
            )
            return event, {"policy_id": ident, "status": "accepted"}

        write = Write(who, tenant, "trust-policy:write", path, body, idempotency_key, topics.POLICY_EVENTS, None)
        return accepted(await parts.writes.accept(write, build))

    @router.post("/tenants/{tenant}/api-keys", status_code=201, summary="Create an API key (shown once)")
    async def create_api_key(tenant: Tenant, body: NewApiKey, who: Who) -> JSONResponse:
        created = await parts.keys.create(who, tenant, body.name, body.role, f"/tenants/{tenant}/api-keys")
        metering.count(tenant, "api_calls")
        return JSONResponse(created, 201)

    @router.get("/tenants/{tenant}/api-keys", summary="List the tenant's API keys (never their secrets)")
    async def list_api_keys(tenant: Tenant, who: Who) -> dict[str, Any]:
        listed = await parts.keys.listed(who, tenant, f"/tenants/{tenant}/api-keys")
        metering.count(tenant, "api_calls")
        return listed

    @router.delete("/tenants/{tenant}/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
    async def revoke_api_key(tenant: Tenant, key_id: KeyId, who: Who) -> Response:
        await parts.keys.revoke(who, tenant, key_id, f"/tenants/{tenant}/api-keys/{key_id}")
        metering.count(tenant, "api_calls")
        return Response(status_code=204)

    return router


def download_response(found: Download) -> Response:
    """A download as an attachment that is never cached."""
    headers = {"content-disposition": f'attachment; filename="{found.filename}"', "cache-control": "no-store"}
    return Response(found.body, media_type=found.media_type, headers=headers)
