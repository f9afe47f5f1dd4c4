"""Composition root of the portal: build_app() wires settings to the request path and the projector.

Nothing runs at import. The request path, in order: identify (identity.py), admit — rate limits, the
policy's decision, the audit record (gate.py) — meter (metering.py), then read (reads.py) or write
(writes.py); routes live in api.py and ui.py. The projector's subscribers are in routes.py.
No `from __future__ import annotations` here: FastAPI resolves the route signatures at definition time.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from faststream.kafka import KafkaBroker
from jinja2 import Environment, FileSystemLoader, select_autoescape
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry, make_asgi_app
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError
from schemas.provenance import MAX_ENVELOPE_BYTES
from service_kit.broker import build_broker, ensure_topics, try_start
from service_kit.caching import TtlCache
from service_kit.health import readiness
from service_kit.lag import ConsumerLag, DeadLetterBacklog
from service_kit.logging import get_logger
from service_kit.mongo import Doc, build_mongo
from service_kit.periodic import Periodic
from service_kit.ports import system_clock
from service_kit.publishing import GroupCommitPublisher, publish_event
from service_kit.tracing import build_tracer_provider

from portal_api import handlers
from portal_api.adapters import mongo as mongo_adapter
from portal_api.adapters.kafka import KafkaAuditTrail, KafkaPublisher
from portal_api.adapters.mongo import PortalStores
from portal_api.api import api_routes
from portal_api.auth import TokenVerifier
from portal_api.billing import UsageMeter
from portal_api.dev_identity import TOKEN_TTL, DevIssuer, merged_jwks
from portal_api.downloads import Downloads
from portal_api.errors import (
    AuthenticationError,
    DependencyUnavailableError,
    ForbiddenError,
    IdempotencyConflictError,
    NotFoundError,
    RateLimitedError,
)
from portal_api.gate import AccessGate
from portal_api.http_hardening import InternalMetrics, RequestMetrics, SecurityHeaders
from portal_api.identity import Identities
from portal_api.key_admin import KeyAdmin
from portal_api.members import Member, load_members, stamped
from portal_api.metering import Metering
from portal_api.parts import CachedViews, ReadModels, RequestParts
from portal_api.policy import PolicyBundle, PolicyEngine
from portal_api.ports import Policy
from portal_api.rate_limit import RateLimiter
from portal_api.reads import Ledger
from portal_api.routes import projection_routes
from portal_api.settings import PortalSettings
from portal_api.ui import SESSION_COOKIE, ui_routes
from portal_api.writes import Writes
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
    topics.BOARD_EVENTS,
)


def build_app(
    settings: PortalSettings | None = None,
    *,
    engine: PolicyEngine | None = None,
    policy: Policy | None = None,
    tracer_provider: TracerProvider | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Wire the portal from settings; tests pass their own settings, engine, tracer and clock.

    `policy` decides requests instead of the in-process `engine` (the benchmark's OPA-over-HTTP peer);
    the engine still names the bundle in force.
    """
    settings = settings or PortalSettings()
    engine = engine or PolicyEngine(PolicyBundle.load())
    tracer_provider = tracer_provider or build_tracer_provider(settings.service_name)
    now = clock or system_clock
    dev = None
    if settings.dev_mode:
        pem = settings.dev_signing_key.get_secret_value() if settings.dev_signing_key else None
        dev = DevIssuer(settings.jwt_issuer, settings.jwt_audience, pem)
    verifier = TokenVerifier(
        merged_jwks(settings.jwks_json, dev.jwk() if dev else None),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    registry = CollectorRegistry()
    broker, dead_letters = build_broker(
        settings, group=settings.service_name, tracer_provider=tracer_provider, registry=registry
    )
    mongo = build_mongo(settings, timeout_ms=800)
    stores = PortalStores.of(mongo, settings)
    limiter = RateLimiter(
        mongo[settings.mongo_db][mongo_adapter.RATE_LIMITS],
        tenant_per_minute=settings.rate_limit_tenant_per_minute,
        subject_per_minute=settings.rate_limit_subject_per_minute,
        refusals_per_minute=settings.rate_limit_refusals_per_minute,
        clock=now,
    )
    audit = KafkaAuditTrail(
        GroupCommitPublisher(
            settings.kafka_bootstrap,
            f"{settings.service_name}-audit",
            topic=settings.topic(topics.AUDIT_EVENTS),
            linger_s=settings.audit_linger_ms / 1000,
            tracer_provider=tracer_provider,
        )
    )
    gate = AccessGate(policy or engine, limiter, audit, now)
    prefix = settings.topic("")
    writes_out = KafkaPublisher(broker, prefix=prefix, timeout_s=1.0, unavailable="the request could not be queued")
    usage_out = KafkaPublisher(broker, prefix=prefix, timeout_s=5.0, unavailable="usage could not be published")
    metering = Metering(UsageMeter(f"{settings.service_name}-{uuid.uuid4().hex[:12]}", now()), usage_out, now)
    parts = RequestParts(
        identities=Identities(verifier, TtlCache(stores.users.get, settings.membership_cache_s), stores.keys),
        gate=gate,
        metering=metering,
        writes=Writes(gate, stores.idempotency, writes_out, metering, now),
        keys=KeyAdmin(gate, stores.keys, now),
        downloads=Downloads(gate, stores.evidence_packs, stores.archives, stores.board_packs, stores.board_pdfs),
        reads=ReadModels(
            tenants=CachedViews(stores.tenants, TtlCache(stores.tenants.get, settings.view_cache_s)),
            slsa_repos=stores.slsa_repos,
            slsa_target_l3=settings.slsa_target_l3,
            trust_policies=stores.trust_policies,
            verdicts=stores.verdicts,
            evidence_packs=stores.evidence_packs,
            usage=stores.usage,
            ledger=Ledger(stores.invoices, stores.payments, settings.payment_terms_days, now),
            board_packs=stores.board_packs,
            revenue=stores.revenue,
            audit=stores.audit,
            users=stores.users,
        ),
    )
    if settings.role in ("all", "projector"):
        deps = handlers.Deps(
            audit=stores.audit,
            usage=stores.usage,
            invoices=stores.invoices,
            payments=stores.payments,
            board_packs=stores.board_packs,
            evidence_packs=stores.evidence_packs,
            trust_policies=stores.trust_policies,
            verdicts=stores.verdicts,
        )
        broker.include_router(projection_routes(settings, deps, dead_letters.send_record))
    dev_users = load_members(Path(settings.dev_users_file)) if dev and settings.dev_users_file else []
    background = (
        Periodic("usage-flush", settings.usage_flush_s, metering.flush),
        Periodic("rate-limit-sync", settings.rate_limit_sync_s, limiter.share),
        ConsumerLag(broker, registry),
        DeadLetterBacklog(broker, registry, bootstrap=settings.kafka_bootstrap),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await prepare(settings, mongo, [*stamped(dev_users, now())])
        for task in background:
            await task.start()
        connected = await connect_once(settings, broker, audit)
        connecting = asyncio.create_task(connect(settings, broker, audit, engine, now, connected=connected))
        if connected:
            await connecting  # the bundle is on record before the first request
        yield
        connecting.cancel()
        for task in background:
            await task.stop()
        await metering.flush()
        await audit.stop()
        await broker.stop()
        await mongo.close()

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
    app.add_middleware(RequestMetrics, registry=registry)
    add_error_answers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        ready, body = await readiness(broker, mongo, timeout_s=1.0)
        return Response(body, status_code=200 if ready else 503, media_type="application/json")

    if settings.role in ("all", "api"):
        app.include_router(api_routes(parts))
        app.include_router(ui_routes(parts, dev_sign_in=dev is not None))
    if dev is not None and settings.role in ("all", "api"):
        add_dev_sign_in(app, dev, {u.id: u for u in dev_users}, now, secure_cookie=settings.cookie_secure)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],  # one server span per request, not one per ASGI message
    )
    app.state.broker = broker
    app.state.engine = engine
    app.state.metering = metering
    app.state.audit = audit
    return app


async def connect_once(settings: PortalSettings, broker: KafkaBroker, audit: KafkaAuditTrail) -> bool:
    """One attempt to start the broker and the audit trail; False when Kafka is not there (yet)."""
    if not await try_start(broker, settings.kafka_bootstrap):
        return False
    try:
        await audit.start()
    except Exception as exc:
        log.warning("audit trail unavailable", error=f"{type(exc).__name__}: {exc}")
        await broker.stop()
        return False
    return True


async def connect(
    settings: PortalSettings,
    broker: KafkaBroker,
    audit: KafkaAuditTrail,
    engine: PolicyEngine,
    clock: Callable[[], datetime],
    *,
    retry_s: float = 2.0,
    connected: bool = False,
) -> None:
    """Connect to Kafka, retrying while it is down, then publish the policy bundle in force.

    Meanwhile the portal serves: writes and audited reads answer 503 until Kafka is back.
    """
    while not connected:
        await asyncio.sleep(retry_s)
        connected = await connect_once(settings, broker, audit)
    try:
        await asyncio.wait_for(
            publish_event(broker, engine.published(clock()), topic=settings.topic(topics.POLICY_EVENTS)), 5.0
        )
    except Exception as exc:
        log.warning("cannot publish the policy bundle", error=f"{type(exc).__name__}: {exc}")


async def prepare(settings: PortalSettings, mongo: AsyncMongoClient[Doc], dev_users: list[Member]) -> None:
    """Topics, indexes and (dev mode) the seeded members; the portal starts even if these fail."""
    try:
        await ensure_topics(settings.kafka_bootstrap, [settings.topic(t) for t in TOPICS])
    except Exception as exc:  # readiness reports it; the portal still serves what it can
        log.warning("cannot prepare topics", error=f"{type(exc).__name__}: {exc}")
    try:
        await mongo_adapter.ensure_indexes(mongo, settings)
        await mongo_adapter.seed_members(mongo, settings, dev_users)
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

    @app.exception_handler(PyMongoError)
    async def database_unavailable(_: Request, __: PyMongoError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"retry-after": RETRY_AFTER_S},
        )

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
