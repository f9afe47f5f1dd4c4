"""The JSON API (/api/v1): every route names its tenant in the path and is decided by the policy.

No `from __future__ import annotations`: FastAPI resolves the signatures at definition time.
"""

import json
from datetime import datetime
from typing import Annotated, Any

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

from portal_api import key_admin, reads
from portal_api.api_keys import KEY_ID_PATTERN, KeyRole
from portal_api.auth import bearer_token
from portal_api.authorization import SOURCE, Subject
from portal_api.downloads import PACK_ID_PATTERN, PackFile, evidence_file
from portal_api.members import TENANT_PATTERN, partner_tenant
from portal_api.runtime import Portal
from schemas import topics

Tenant = Annotated[
    str, Path(pattern=TENANT_PATTERN, max_length=40, description="Tenant slug."), AfterValidator(partner_tenant)
]
PackId = Annotated[str, Path(pattern=PACK_ID_PATTERN, description="Evidence pack id.")]
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


def api_routes(portal: Portal) -> APIRouter:
    """The /api/v1 routes over one Portal."""
    router = APIRouter(prefix="/api/v1")

    async def subject(authorization: Annotated[str | None, Header()] = None) -> Subject:
        return await portal.subject(bearer_token(authorization))

    Who = Annotated[Subject, Depends(subject)]

    @router.get("/me", summary="The signed-in subject and the tenants it may switch to")
    async def me(who: Who) -> dict[str, Any]:
        portal.limiter.hit("subject", who.id, portal.now())
        return {"subject": who.id, "tenants": who.tenants(), "platform_roles": list(who.platform_roles)}

    @router.get("/tenants/{tenant}/overview", summary="Onboarding state, webhook state and cohort")
    async def overview(tenant: Tenant, who: Who) -> JSONResponse:
        path = f"/tenants/{tenant}/overview"
        access = await portal.authorize(who, tenant, "overview:read", path)
        return JSONResponse(await reads.overview(portal, tenant, access))

    @router.get("/tenants/{tenant}/members", summary="The tenant's members and their roles")
    async def members(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await portal.authorize(who, tenant, "members:read", f"/tenants/{tenant}/members")
        return await reads.members(portal, tenant, access)

    @router.get("/tenants/{tenant}/slsa-map", summary="SLSA build level and checks per repository")
    async def slsa_map(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await portal.authorize(who, tenant, "slsa:read", f"/tenants/{tenant}/slsa-map")
        return await reads.slsa_map(portal, tenant, access)

    @router.get("/tenants/{tenant}/evidence-packs", summary="Built evidence packs, newest first")
    async def evidence_packs(tenant: Tenant, who: Who) -> dict[str, Any]:
        access = await portal.authorize(who, tenant, "evidence:read", f"/tenants/{tenant}/evidence-packs")
        return await reads.evidence_packs(portal, tenant, access)

    @router.get("/tenants/{tenant}/finance", summary="Usage by meter and period, and invoices")
    async def finance(tenant: Tenant, who: Who) -> dict[str, Any]:
        path = f"/tenants/{tenant}/finance"
        access = await portal.authorize(who, tenant, "finance:read", path)
        return await reads.finance(portal, tenant, access)

    @router.get("/tenants/{tenant}/audit", summary="The tenant's access decisions, newest first")
    async def audit_trail(
        tenant: Tenant,
        who: Who,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[datetime | None, Query(description="Cursor: decisions strictly older than this.")] = None,
    ) -> dict[str, Any]:
        access = await portal.authorize(who, tenant, "audit:read", f"/tenants/{tenant}/audit")
        return await reads.audit_page(portal, tenant, access, limit, before)

    @router.get(
        "/tenants/{tenant}/evidence-packs/{pack_id}/files/{file}",
        summary="Download a pack (archive) or what verifies it offline (signature, proof, tree head)",
        response_class=Response,
        responses={200: {"content": {"application/x-tar": {}, "application/json": {}}}},
    )
    async def evidence_download(tenant: Tenant, pack_id: PackId, file: PackFile, who: Who) -> Response:
        return await evidence_file(
            portal, who, tenant, pack_id, file, f"/tenants/{tenant}/evidence-packs/{pack_id}/files/{file}"
        )

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

        return await portal.accept(
            who,
            tenant,
            action="evidence:request",
            path=path,
            body=body,
            idempotency_key=idempotency_key,
            topic=topics.EVIDENCE_REQUESTS,
            meter="pack_requests",
            build=build,
        )

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

        return await portal.accept(
            who,
            tenant,
            action="provenance:submit",
            path=path,
            body=body,
            idempotency_key=idempotency_key,
            topic=topics.PROVENANCE_SUBMITTED,
            meter="provenance_submissions",
            build=build,
        )

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

        return await portal.accept(
            who,
            tenant,
            action="trust-policy:write",
            path=path,
            body=body,
            idempotency_key=idempotency_key,
            topic=topics.POLICY_EVENTS,
            meter=None,
            build=build,
        )

    @router.post("/tenants/{tenant}/api-keys", status_code=201, summary="Create an API key (shown once)")
    async def create_api_key(tenant: Tenant, body: NewApiKey, who: Who) -> JSONResponse:
        path = f"/tenants/{tenant}/api-keys"
        return JSONResponse(await key_admin.create(portal, who, tenant, body.name, body.role, path), 201)

    @router.get("/tenants/{tenant}/api-keys", summary="List the tenant's API keys (never their secrets)")
    async def list_api_keys(tenant: Tenant, who: Who) -> dict[str, Any]:
        return await key_admin.listed(portal, who, tenant, f"/tenants/{tenant}/api-keys")

    @router.delete("/tenants/{tenant}/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
    async def revoke_api_key(tenant: Tenant, key_id: KeyId, who: Who) -> Response:
        await key_admin.revoke(portal, who, tenant, key_id, f"/tenants/{tenant}/api-keys/{key_id}")
        return Response(status_code=204)

    return router
