"""Composition root of the portal API: build_app() wires settings to adapters; nothing runs at import.

No `from __future__ import annotations` here: FastAPI resolves the route signatures at definition time,
and they refer to dependencies local to build_app().
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry, make_asgi_app
from pymongo.errors import PyMongoError
from schemas.audit import AccessDecided
from schemas.read_models import TenantView
from service_kit.broker import build_broker, ensure_topics, publish_event
from service_kit.logging import configure_logging, get_logger
from service_kit.mongo import ProjectionStore, build_mongo
from service_kit.tracing import build_tracer_provider

from portal_api.auth import AuthenticationError, TokenVerifier
from portal_api.authorization import Subject, decide, reading_context
from portal_api.policy import PolicyBundle, PolicyEngine
from portal_api.settings import PortalSettings
from schemas import topics

log = get_logger(__name__)
OVERVIEW_FIELDS = ("display_name", "state", "cohort", "plan", "webhook_url", "contact_email")
RETRY_AFTER_S = "5"


class DependencyUnavailableError(Exception):
    """MongoDB or Kafka did not answer in time: answer 503 with Retry-After, never a stack trace."""


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
    verifier = TokenVerifier(settings.jwks_json, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    registry = CollectorRegistry()
    broker, _ = build_broker(settings, group=settings.service_name, tracer_provider=tracer_provider, registry=registry)
    mongo = build_mongo(settings, timeout_ms=800)
    tenants = ProjectionStore(mongo[settings.onboarding_db]["onboarding_tenants"], TenantView)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await ensure_topics(settings.kafka_bootstrap, [settings.topic(topics.AUDIT_EVENTS)])
        except Exception as exc:  # readiness reports it; the portal still serves what it can
            log.warning("cannot prepare topics", error=f"{type(exc).__name__}: {exc}")
        await broker.connect()
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

    @app.exception_handler(DependencyUnavailableError)
    async def unavailable(_: Request, exc: DependencyUnavailableError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{exc}; try again shortly"}, status_code=503, headers={"retry-after": RETRY_AFTER_S}
        )

    def subject(authorization: Annotated[str | None, Header()] = None) -> Subject:
        return verifier.subject(authorization)

    async def record(fact: AccessDecided) -> None:
        try:
            await asyncio.wait_for(publish_event(broker, fact, topic=settings.topic(topics.AUDIT_EVENTS)), 1.0)
        except Exception as exc:  # no audit record, no access: the decision must be on file
            raise DependencyUnavailableError("the audit trail is unavailable") from exc

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        async def mongo_ok() -> bool:
            try:
                await asyncio.wait_for(mongo.admin.command("ping"), 1.0)
            except Exception:
                return False
            return True

        kafka, db = await asyncio.gather(broker.ping(1.0), mongo_ok())
        checks = {"kafka": "ok" if kafka else "unreachable", "mongodb": "ok" if db else "unreachable"}
        ready = kafka and db
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    @app.get("/api/v1/me", summary="The signed-in subject and the tenants it may switch to")
    async def me(who: Annotated[Subject, Depends(subject)]) -> dict[str, Any]:
        return {"subject": who.id, "tenants": who.tenants(), "platform_roles": list(who.platform_roles)}

    @app.get("/api/v1/tenants/{tenant}/overview", summary="A tenant's onboarding state, fields per the guard")
    async def overview(tenant: str, who: Annotated[Subject, Depends(subject)]) -> JSONResponse:
        legal_basis, purpose = reading_context(who, tenant)
        access = decide(
            engine,
            who,
            tenant=tenant,
            action="overview:read",
            resource=f"/tenants/{tenant}/overview",
            resource_tenant=tenant,
            now=now(),
            legal_basis=legal_basis,
            purpose=purpose,
            fields=OVERVIEW_FIELDS,
        )
        await record(access.fact)
        if not access.allowed:
            # The same answer whether or not the tenant exists: no probing for other tenants.
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        try:
            view = await tenants.get(tenant)
        except PyMongoError as exc:
            raise DependencyUnavailableError("tenant data is unavailable") from exc
        shown = {} if view is None else {f: v for f, v in view.model_dump(mode="json").items() if f in access.fields}
        return JSONResponse(
            {"tenant": tenant, "onboarding": shown or None, "withheld": list(access.fact.data.fields_withheld)}
        )

    app.state.broker = broker
    app.state.engine = engine
    return app


def main() -> None:
    """Serve the portal on PORTAL_HTTP_PORT (default 8080)."""
    import uvicorn

    settings = PortalSettings()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    port = int(os.environ.get("PORTAL_HTTP_PORT", "8080"))
    host = os.environ.get("PORTAL_HTTP_HOST", "127.0.0.1")
    uvicorn.run(build_app(settings), host=host, port=port, log_config=None, access_log=False)
