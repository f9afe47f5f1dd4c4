"""Composition root of the portal: build_app() wires settings to a Portal and its routes; nothing runs at import.

No `from __future__ import annotations` here: FastAPI resolves the route signatures at definition time.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from faststream.kafka import KafkaMessage
from jinja2 import Environment, FileSystemLoader, select_autoescape
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry, make_asgi_app
from pymongo.errors import PyMongoError
from schemas.audit import AccessDecided
from schemas.billing import BillingFact, InvoiceIssued, UsageRecorded
from schemas.evidence import EvidenceFact, PackBuilt
from schemas.policy import PolicyFact, TrustPolicyUpdated
from schemas.provenance import MAX_ENVELOPE_BYTES, VERDICT
from schemas.read_models import SlsaRepoStatus
from service_kit.broker import decode_each, ensure_topics, publish_event, raw_batch_decoder, try_start
from service_kit.health import readiness
from service_kit.logging import get_logger
from service_kit.tracing import build_tracer_provider

from portal_api.api import api_routes
from portal_api.audit import AuditEntry
from portal_api.auth import AuthenticationError, TokenVerifier
from portal_api.dev_identity import TOKEN_TTL, DevIssuer, merged_jwks
from portal_api.errors import DependencyUnavailableError, ForbiddenError, NotFoundError
from portal_api.http_hardening import InternalMetrics, SecurityHeaders
from portal_api.idempotency import IdempotencyConflictError
from portal_api.members import Member, load_members, stamped
from portal_api.policy import PolicyBundle, PolicyEngine
from portal_api.rate_limit import RateLimitedError
from portal_api.runtime import Portal
from portal_api.settings import PortalSettings
from portal_api.ui import SESSION_COOKIE, ui_routes
from portal_api.views import EvidencePackView, InvoiceEntry, TrustPolicyView, UsageEntry
from schemas import topics

log = get_logger(__name__)
RETRY_AFTER_S = "5"
MAX_BODY_BYTES = MAX_ENVELOPE_BYTES + 256 * 1024  # a provenance submission is the largest request
TOPICS = (
    topics.AUDIT_EVENTS,
    topics.POLICY_EVENTS,
    topics.EVIDENCE_REQUESTS,
    topics.PROVENANCE_SUBMITTED,
    topics.BILLING_EVENTS,
    topics.PROVENANCE_EVENTS,
    topics.EVIDENCE_EVENTS,
)


def build_app(
    settings: PortalSettings | None = None,
    *,
    engine: PolicyEngine | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Wire the portal from settings; tests pass their own settings, engine, tracer and clock."""
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
    portal = Portal(settings, engine, verifier, now, tracer_provider, registry)
    broker = portal.broker
    dev_users = load_members(Path(settings.dev_users_file)) if dev and settings.dev_users_file else []

    if settings.role in ("all", "projector"):
        add_projections(portal)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await prepare(portal, dev_users)
        background = [asyncio.create_task(portal.meter_forever()), asyncio.create_task(portal.share_limits_forever())]
        if await try_start(portal.broker, portal.settings.kafka_bootstrap):
            await publish_bundle(portal)
        else:  # serve meanwhile: audited requests answer 503 until Kafka is back
            background.append(asyncio.create_task(connect(portal)))
        yield
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await portal.flush_usage()
        await broker.stop()
        await portal.mongo.close()

    app = FastAPI(
        title="Trust Portal API",
        version="3.0.0",
        description="Multi-tenant provenance and trust portal. Every response is scoped to one tenant.",
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,  # larger requests answer 413 before they are read into memory
        # The OpenAPI document is public (partners' CI integrate against it; it holds no data); the
        # Swagger UI pages load scripts from a CDN, so they are served in dev mode only.
        docs_url="/docs" if settings.dev_mode else None,
        redoc_url=None,
    )
    app.add_middleware(InternalMetrics, metrics=make_asgi_app(registry), port=settings.metrics_port)
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    add_error_answers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        ready, body = await readiness(broker, portal.mongo, timeout_s=1.0)
        return Response(body, status_code=200 if ready else 503, media_type="application/json")

    if settings.role in ("all", "api"):
        app.include_router(api_routes(portal))
        app.include_router(ui_routes(portal, dev_sign_in=dev is not None))
    if dev is not None and settings.role in ("all", "api"):
        add_dev_sign_in(app, dev, {u.id: u for u in dev_users}, now, secure_cookie=settings.cookie_secure)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],  # one server span per request, not one per ASGI message
    )
    app.state.portal = portal
    app.state.broker = broker
    app.state.engine = engine
    return app


def add_projections(portal: Portal) -> None:
    """The portal's read models, folded from the events it shows (the `projector` role, or `all`)."""
    settings, broker = portal.settings, portal.broker
    dead_letter = portal.dead_letters.send_record

    @broker.subscriber(
        settings.topic(topics.AUDIT_EVENTS),
        group_id=f"{settings.service_name}-audit",
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        # Let the broker gather up to 64 KiB or 200 ms per fetch: a few large batches instead of one
        # per request, so the fold costs little CPU next to the API (the tab is a moment behind).
        fetch_min_bytes=64 * 1024,
        fetch_max_wait_ms=200,
        decoder=raw_batch_decoder,
        title="portal-api-audit:audit.events.v1",
        description="Keeps the Audit tab's read model: one document per decision, keyed by event id, "
        "written a fetched batch at a time (one decision per request makes this the busiest fold).",
    )
    async def on_access_decided(bodies: list[bytes], message: KafkaMessage) -> None:
        # a poison record goes to the DLQ alone; the batch proceeds
        decided = await decode_each(bodies, message.raw_message, AccessDecided.model_validate_json, dead_letter)
        await portal.audit.insert_many_once([(event.id, AuditEntry.of(event)) for event, _ in decided])

    @broker.subscriber(
        settings.topic(topics.BILLING_EVENTS),
        group_id=f"{settings.service_name}-billing",
        auto_offset_reset="earliest",
        title="portal-api-billing:billing.events.v1",
        description="Keeps the Finance tab: usage batches by event id, invoices by invoice id (one per period).",
    )
    async def on_billing(event: BillingFact) -> None:
        if isinstance(event, UsageRecorded):
            await portal.usage.insert_once(event.id, UsageEntry.of(event))
        elif isinstance(event, InvoiceIssued):
            await portal.invoices.insert_once(event.data.invoice_id, InvoiceEntry.of(event))

    @broker.subscriber(
        settings.topic(topics.PROVENANCE_EVENTS),
        group_id=f"{settings.service_name}-slsa",
        auto_offset_reset="earliest",
        batch=True,
        max_records=1000,
        decoder=raw_batch_decoder,
        title="portal-api-slsa:provenance.events.v1",
        description="Keeps the SLSA map tab: each repository's newest verified level and its newest outcome.",
    )
    async def on_verdicts(bodies: list[bytes], message: KafkaMessage) -> None:
        verdicts = [v for v, _ in await decode_each(bodies, message.raw_message, VERDICT.validate_json, dead_letter)]
        await portal.slsa_repos.fold(verdicts, SlsaRepoStatus.key_of, SlsaRepoStatus.folded)

    @broker.subscriber(
        settings.topic(topics.EVIDENCE_EVENTS),
        group_id=f"{settings.service_name}-evidence",
        auto_offset_reset="earliest",
        title="portal-api-evidence:evidence.events.v1",
        description="Keeps the Evidence tab: each built pack by pack id, with its signature, proof and tree head.",
    )
    async def on_evidence(event: EvidenceFact) -> None:
        if isinstance(event, PackBuilt):
            await portal.evidence_packs.insert_once(event.data.pack_id, EvidencePackView.of(event))

    @broker.subscriber(
        settings.topic(topics.POLICY_EVENTS),
        group_id=f"{settings.service_name}-policy",
        auto_offset_reset="earliest",
        title="portal-api-policy:policy.events.v1",
        description="Keeps each tenant's trust policy in force (the newest update wins).",
    )
    async def on_policy(event: PolicyFact) -> None:
        if isinstance(event, TrustPolicyUpdated):
            current = await portal.trust_policies.get(event.tenantid)
            if current is None:
                await portal.trust_policies.insert_once(event.tenantid, TrustPolicyView.of(event))
            elif current.updated_at < event.data.updated_at:
                await portal.trust_policies.put(event.tenantid, TrustPolicyView.of(event))


async def connect(portal: Portal, retry_s: float = 2.0) -> None:
    """Start the broker, retrying while Kafka is down, then publish the policy bundle in force.

    Meanwhile writes and audited reads answer 503.
    """
    while True:
        if await try_start(portal.broker, portal.settings.kafka_bootstrap):
            break
        await asyncio.sleep(retry_s)
    await publish_bundle(portal)


async def publish_bundle(portal: Portal) -> None:
    """Publish the policy bundle in force (a restart publishes the same event id again)."""
    try:
        event = portal.engine.published(portal.now())
        await asyncio.wait_for(
            publish_event(portal.broker, event, topic=portal.settings.topic(topics.POLICY_EVENTS)), 5.0
        )
        log.info("policy bundle in force", sha256=portal.engine.bundle.sha256)
    except Exception as exc:
        log.warning("cannot publish the policy bundle", error=f"{type(exc).__name__}: {exc}")


async def prepare(portal: Portal, dev_users: list[Member]) -> None:
    """Topics, indexes and (dev mode) the seeded members; the portal starts even if these fail."""
    settings = portal.settings
    try:
        await ensure_topics(settings.kafka_bootstrap, [settings.topic(t) for t in TOPICS])
    except Exception as exc:  # readiness reports it; the portal still serves what it can
        log.warning("cannot prepare topics", error=f"{type(exc).__name__}: {exc}")
    try:
        await portal.db["portal_audit"].create_index([("tenant", 1), ("decided_at", -1)])
        for member in stamped(dev_users, portal.now()):
            await portal.db["portal_users"].replace_one({"_id": member.id}, member.model_dump(), upsert=True)
    except PyMongoError as exc:
        log.warning("cannot prepare the database", error=f"{type(exc).__name__}: {exc}")


def add_error_answers(app: FastAPI) -> None:
    """One status per refusal, with a body that says what happened and nothing more."""

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


def add_dev_sign_in(
    app: FastAPI, issuer: DevIssuer, users: dict[str, Member], now: Callable[[], datetime], *, secure_cookie: bool
) -> None:
    """The dev sign-in page, its form and the token endpoint; registered only in dev mode (404 otherwise)."""
    templates = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape()
    )
    ttl_s = int(TOKEN_TTL.total_seconds())

    @app.get("/dev/sign-in", include_in_schema=False)
    async def sign_in_page() -> HTMLResponse:
        page = templates.get_template("dev_sign_in.html")
        return HTMLResponse(page.render(users=list(users.values()), ttl_hours=ttl_s // 3600))

    @app.post("/dev/sign-in", include_in_schema=False)
    async def sign_in(user: Annotated[str, Form()]) -> Response:
        found = users.get(user)
        if found is None:
            return JSONResponse({"detail": "no such dev user"}, status_code=404)
        response = RedirectResponse("/ui", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            issuer.token(found, now()),
            max_age=ttl_s,
            httponly=True,
            secure=secure_cookie,
            samesite="lax",
        )
        return response

    @app.post("/dev/token", include_in_schema=False)
    async def dev_token(user: Annotated[str, Form()]) -> JSONResponse:
        found = users.get(user)
        if found is None:
            return JSONResponse({"detail": "no such dev user"}, status_code=404)
        return JSONResponse({"access_token": issuer.token(found, now()), "token_type": "bearer", "expires_in": ttl_s})
