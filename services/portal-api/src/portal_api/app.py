"""Composition root of the portal API: build_app() wires settings to adapters; nothing runs at import.

No `from __future__ import annotations` here: FastAPI resolves the route signatures at definition time,
and they refer to dependencies local to build_app().
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry, make_asgi_app
from pydantic import BaseModel, Field
from pymongo.errors import PyMongoError
from schemas.audit import AccessDecided
from schemas.envelope import CloudEvent
from schemas.evidence import SCOPES, PackRequested, PackRequestedData, Scope
from schemas.read_models import TenantView
from service_kit.broker import build_broker, ensure_topics, publish_event
from service_kit.health import readiness
from service_kit.logging import configure_logging, get_logger
from service_kit.mongo import ProjectionStore, build_mongo
from service_kit.tracing import build_tracer_provider

from portal_api import api_keys
from portal_api.api_keys import ApiKeyRecord, KeyRole
from portal_api.audit import AuditEntry
from portal_api.auth import AuthenticationError, TokenVerifier, bearer_token
from portal_api.authorization import SOURCE, Subject, decide, reading_context
from portal_api.dev_identity import TOKEN_TTL, DevIssuer, DevUser, load_users, merged_jwks
from portal_api.idempotency import IdempotencyConflictError, IdempotencyKeys, StoredAnswer, fingerprint
from portal_api.policy import PolicyBundle, PolicyEngine
from portal_api.rate_limit import RateLimitedError, RateLimiter
from portal_api.settings import PortalSettings
from schemas import topics

log = get_logger(__name__)
OVERVIEW_FIELDS = ("display_name", "state", "cohort", "plan", "webhook_url", "contact_email")
RETRY_AFTER_S = "5"


class DependencyUnavailableError(Exception):
    """MongoDB or Kafka did not answer in time: answer 503 with Retry-After, never a stack trace."""


class ForbiddenError(Exception):
    """The policy refused: 403, the same body whatever the reason (no probing of other tenants)."""


class NotFoundError(Exception):
    """Nothing of that id in this tenant (also when it exists in another one)."""


class PackRequest(BaseModel):
    """A request for an evidence pack."""

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Calendar month, YYYY-MM.")
    scope: tuple[Scope, ...] = SCOPES


class NewApiKey(BaseModel):
    """A request for an API key."""

    name: str = Field(min_length=1, max_length=80, description="What the key is for, e.g. 'release CI'.")
    role: KeyRole = "engineer"


def build_app(
    settings: PortalSettings | None = None,
    *,
    engine: PolicyEngine | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Wire the portal from settings; tests pass their own settings, engine and clock."""
    settings = settings or PortalSettings()
    engine = engine or PolicyEngine(PolicyBundle.load())
    tracer_provider = tracer_provider or build_tracer_provider(settings.service_name)
    now = clock or (lambda: datetime.now(UTC))
    dev = None
    if settings.dev_mode:
        pem = settings.dev_signing_key.get_secret_value() if settings.dev_signing_key else None
        dev = DevIssuer(settings.jwt_issuer, settings.jwt_audience, pem)
    jwks = merged_jwks(settings.jwks_json, dev.jwk() if dev else None)
    verifier = TokenVerifier(jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    registry = CollectorRegistry()
    broker, _ = build_broker(settings, group=settings.service_name, tracer_provider=tracer_provider, registry=registry)
    mongo = build_mongo(settings, timeout_ms=800)
    tenants = ProjectionStore(mongo[settings.onboarding_db]["onboarding_tenants"], TenantView)
    keys = ProjectionStore(mongo[settings.mongo_db]["portal_api_keys"], ApiKeyRecord)
    audit = ProjectionStore(mongo[settings.mongo_db]["portal_audit"], AuditEntry)
    idempotency = IdempotencyKeys(mongo[settings.mongo_db]["portal_idempotency"])

    @broker.subscriber(
        settings.topic(topics.AUDIT_EVENTS),
        group_id=f"{settings.service_name}-audit",
        auto_offset_reset="earliest",
        title="portal-api-audit:audit.events.v1",
        description="Keeps the Audit tab's read model: one document per decision, keyed by event id.",
    )
    async def on_access_decided(event: AccessDecided) -> None:
        await audit.insert_once(event.id, AuditEntry.of(event))

    limiter = RateLimiter(
        mongo[settings.mongo_db]["portal_rate_limits"],
        tenant_per_minute=settings.rate_limit_tenant_per_minute,
        subject_per_minute=settings.rate_limit_subject_per_minute,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await ensure_topics(
                settings.kafka_bootstrap,
                [settings.topic(t) for t in (topics.AUDIT_EVENTS, topics.POLICY_EVENTS, topics.EVIDENCE_REQUESTS)],
            )
        except Exception as exc:  # readiness reports it; the portal still serves what it can
            log.warning("cannot prepare topics", error=f"{type(exc).__name__}: {exc}")
        try:
            await mongo[settings.mongo_db]["portal_audit"].create_index([("tenant", 1), ("decided_at", -1)])
        except PyMongoError as exc:
            log.warning("cannot create indexes", error=f"{type(exc).__name__}: {exc}")
        await broker.start()
        try:
            await asyncio.wait_for(
                publish_event(broker, engine.published(now()), topic=settings.topic(topics.POLICY_EVENTS)), 5.0
            )
            log.info("policy bundle in force", sha256=engine.bundle.sha256)
        except Exception as exc:
            log.warning("cannot publish the policy bundle", error=f"{type(exc).__name__}: {exc}")
        yield
        await broker.stop()
        await mongo.close()

    app = FastAPI(
        title="Trust Portal API",
        version="3.0.0",
        description="Multi-tenant provenance and trust portal. Every response is scoped to one tenant.",
        lifespan=lifespan,
    )
    app.mount("/metrics", make_asgi_app(registry))

    @app.exception_handler(AuthenticationError)
    async def unauthenticated(_: Request, exc: AuthenticationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"www-authenticate": "Bearer"})

    @app.exception_handler(ForbiddenError)
    async def forbidden(_: Request, __: ForbiddenError) -> JSONResponse:
        return JSONResponse({"detail": "forbidden"}, status_code=403)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, __: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": "not found"}, status_code=404)

    @app.exception_handler(RateLimitedError)
    async def rate_limited(_: Request, exc: RateLimitedError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{exc}; retry after {exc.retry_after_s} s"},
            status_code=429,
            headers={"retry-after": str(exc.retry_after_s)},
        )

    @app.exception_handler(IdempotencyConflictError)
    async def idempotency_conflict(_: Request, exc: IdempotencyConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(DependencyUnavailableError)
    async def unavailable(_: Request, exc: DependencyUnavailableError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{exc}; try again shortly"}, status_code=503, headers={"retry-after": RETRY_AFTER_S}
        )

    async def subject(authorization: Annotated[str | None, Header()] = None) -> Subject:
        token = bearer_token(authorization)
        parsed = api_keys.parse(token)
        if parsed is None:
            return verifier.subject(token)
        key_id, secret = parsed
        record = await stored(keys.get(key_id), "credentials cannot be checked")
        if not api_keys.verify(record, secret) or record is None:
            raise AuthenticationError("invalid or revoked API key")
        return Subject(id=f"apikey:{key_id}", kind="api_key", tenant_roles={record.tenant: (record.role,)})

    async def send(event: CloudEvent, topic: str, unavailable: str) -> None:
        """Publish within a second, or answer 503: a request never hangs on Kafka."""
        try:
            await asyncio.wait_for(publish_event(broker, event, topic=settings.topic(topic)), 1.0)
        except Exception as exc:
            raise DependencyUnavailableError(unavailable) from exc

    async def record(fact: AccessDecided) -> None:
        # No audit record, no access: the decision must be on file before the answer goes out.
        await send(fact, topics.AUDIT_EVENTS, "the audit trail is unavailable")

    async def authorize(
        who: Subject, tenant: str, action: str, resource: str, fields: tuple[str, ...] = ()
    ) -> frozenset[str]:
        """Count the request, decide, put the decision on the audit trail; raise when limited or refused."""
        await stored(limiter.hit("subject", who.id, now()))
        await stored(limiter.hit("tenant", tenant, now()))
        legal_basis, purpose = reading_context(who, tenant)
        access = decide(
            engine,
            who,
            tenant=tenant,
            action=action,
            resource=resource,
            resource_tenant=tenant,
            now=now(),
            legal_basis=legal_basis,
            purpose=purpose,
            fields=fields,
        )
        await record(access.fact)
        if not access.allowed:
            raise ForbiddenError
        return access.fields

    async def stored(call: Any, unavailable: str = "tenant data is unavailable") -> Any:
        """Await a MongoDB call, or answer 503 (the client gives up within 800 ms)."""
        try:
            return await call
        except PyMongoError as exc:
            raise DependencyUnavailableError(unavailable) from exc

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        ready, body = await readiness(broker, mongo, timeout_s=1.0)
        return Response(body, status_code=200 if ready else 503, media_type="application/json")

    @app.get("/api/v1/me", summary="The signed-in subject and the tenants it may switch to")
    async def me(who: Annotated[Subject, Depends(subject)]) -> dict[str, Any]:
        await stored(limiter.hit("subject", who.id, now()))
        return {"subject": who.id, "tenants": who.tenants(), "platform_roles": list(who.platform_roles)}

    @app.get("/api/v1/tenants/{tenant}/overview", summary="A tenant's onboarding state, fields per the guard")
    async def overview(tenant: str, who: Annotated[Subject, Depends(subject)]) -> JSONResponse:
        shown = await authorize(who, tenant, "overview:read", f"/tenants/{tenant}/overview", OVERVIEW_FIELDS)
        view = await stored(tenants.get(tenant))
        data = {} if view is None else {f: v for f, v in view.model_dump(mode="json").items() if f in shown}
        return JSONResponse(
            {"tenant": tenant, "onboarding": data or None, "withheld": sorted(set(OVERVIEW_FIELDS) - shown)}
        )

    @app.get("/api/v1/tenants/{tenant}/audit", summary="A tenant's access decisions, newest first")
    async def audit_trail(
        tenant: str,
        who: Annotated[Subject, Depends(subject)],
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[datetime | None, Query(description="Cursor: decisions strictly older than this.")] = None,
    ) -> dict[str, Any]:
        await authorize(who, tenant, "audit:read", f"/tenants/{tenant}/audit")
        query: dict[str, Any] = {"tenant": tenant}
        if before is not None:
            query["decided_at"] = {"$lt": before}
        entries = await stored(audit.find(query, limit=limit, sort=[("decided_at", -1)]))
        page = [e.model_dump(mode="json") for e in entries]
        more = len(entries) == limit
        return {"tenant": tenant, "entries": page, "next_before": page[-1]["decided_at"] if more and page else None}

    @app.post("/api/v1/tenants/{tenant}/evidence-packs", status_code=202, summary="Request an evidence pack")
    async def request_evidence_pack(
        tenant: str,
        body: PackRequest,
        who: Annotated[Subject, Depends(subject)],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> JSONResponse:
        path = f"/tenants/{tenant}/evidence-packs"
        await authorize(who, tenant, "evidence:request", path)
        scoped = IdempotencyKeys.scoped(tenant, who.id, idempotency_key or str(uuid.uuid4()))
        request_sha = fingerprint("POST", path, body.model_dump(mode="json"))
        if idempotency_key and (answer := await stored(idempotency.replay(scoped, request_sha))):
            return JSONResponse(answer.body, answer.status_code, headers={"idempotent-replayed": "true"})
        # The id comes from the key, so two racing requests with one key publish one request id.
        request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"trustportal:pack-request:{scoped}"))
        at = now()
        event = PackRequested.create(
            data=PackRequestedData(
                pack_request_id=request_id, period=body.period, scope=body.scope, requested_by=who.id, requested_at=at
            ),
            id=request_id,
            source=SOURCE,
            tenantid=tenant,
            subject=path,
            time=at,
        )
        await send(event, topics.EVIDENCE_REQUESTS, "the request could not be queued")
        reply = {"pack_request_id": request_id, "status": "accepted", "period": body.period, "scope": list(body.scope)}
        if idempotency_key:
            kept = await stored(
                idempotency.remember(
                    scoped, StoredAnswer(request_sha256=request_sha, status_code=202, body=reply, created_at=at)
                )
            )
            reply = kept.body
        return JSONResponse(reply, status_code=202)

    @app.post("/api/v1/tenants/{tenant}/api-keys", status_code=201, summary="Create an API key (shown once)")
    async def create_api_key(tenant: str, body: NewApiKey, who: Annotated[Subject, Depends(subject)]) -> JSONResponse:
        await authorize(who, tenant, "apikey:manage", f"/tenants/{tenant}/api-keys")
        key, token = api_keys.generate(tenant, body.name, body.role, created_by=who.id, now=now())
        await stored(keys.insert_once(key.key_id, key))
        return JSONResponse({**key.public(), "key": token, "note": "store this key now: it is not shown again"}, 201)

    @app.get("/api/v1/tenants/{tenant}/api-keys", summary="List a tenant's API keys (never their secrets)")
    async def list_api_keys(tenant: str, who: Annotated[Subject, Depends(subject)]) -> dict[str, Any]:
        await authorize(who, tenant, "apikey:manage", f"/tenants/{tenant}/api-keys")
        found = await stored(keys.find({"tenant": tenant}))
        return {"tenant": tenant, "api_keys": [k.public() for k in sorted(found, key=lambda k: k.created_at)]}

    @app.delete("/api/v1/tenants/{tenant}/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
    async def revoke_api_key(tenant: str, key_id: str, who: Annotated[Subject, Depends(subject)]) -> Response:
        await authorize(who, tenant, "apikey:manage", f"/tenants/{tenant}/api-keys/{key_id}")
        key = await stored(keys.get(key_id))
        if key is None or key.tenant != tenant:
            raise NotFoundError
        if key.revoked_at is None:
            await stored(keys.put(key_id, key.model_copy(update={"revoked_at": now()})))
        return Response(status_code=204)

    if dev is not None:
        add_dev_sign_in(app, dev, load_users(Path(settings.dev_users_file)) if settings.dev_users_file else {}, now)

    app.state.broker = broker
    app.state.engine = engine
    return app


def add_dev_sign_in(app: FastAPI, issuer: DevIssuer, users: dict[str, DevUser], now: Callable[[], datetime]) -> None:
    """The dev sign-in page and token endpoint; registered only in dev mode (404 otherwise)."""
    templates = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape()
    )

    @app.get("/dev/sign-in", include_in_schema=False)
    async def sign_in_page() -> HTMLResponse:
        page = templates.get_template("dev_sign_in.html")
        return HTMLResponse(page.render(users=list(users.values()), ttl_hours=int(TOKEN_TTL.total_seconds() // 3600)))

    @app.post("/dev/token", include_in_schema=False)
    async def dev_token(user: Annotated[str, Form()]) -> JSONResponse:
        found = users.get(user)
        if found is None:
            return JSONResponse({"detail": "no such dev user"}, status_code=404)
        token = issuer.token(found, now())
        return JSONResponse(
            {"access_token": token, "token_type": "bearer", "expires_in": int(TOKEN_TTL.total_seconds())}
        )


def main() -> None:
    """Serve the portal on PORTAL_HTTP_PORT (default 8080)."""
    import uvicorn

    settings = PortalSettings()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    port = int(os.environ.get("PORTAL_HTTP_PORT", "8080"))
    host = os.environ.get("PORTAL_HTTP_HOST", "127.0.0.1")
    uvicorn.run(build_app(settings), host=host, port=port, log_config=None, access_log=False)
