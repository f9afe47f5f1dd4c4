"""The portal's running parts in one object, and the steps every request shares.

The parts: stores, broker, policy, limits, metering. The steps: identify, authorize and audit,
publish or store within a bound, accept a write.
Routes (api.py, ui.py) stay thin: they call these steps and shape the answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from pymongo.errors import PyMongoError
from schemas.audit import AccessDecided
from schemas.billing import Meter
from schemas.envelope import CloudEvent
from schemas.evidence import EVIDENCE_BUCKET
from schemas.read_models import SlsaRepoStatus, TenantView
from schemas.tenant import PLATFORM_TENANT
from service_kit.broker import build_broker, publish_event
from service_kit.logging import get_logger
from service_kit.mongo import ProjectionStore, build_mongo

from portal_api import api_keys
from portal_api.api_keys import ApiKeyRecord
from portal_api.audit import AuditEntry
from portal_api.auth import AuthenticationError, TokenVerifier
from portal_api.authorization import Access, Subject, decide, policy_input
from portal_api.billing import UsageMeter
from portal_api.errors import DependencyUnavailableError, ForbiddenError
from portal_api.idempotency import IdempotencyKeys, StoredAnswer, fingerprint
from portal_api.members import Member, MembershipCache
from portal_api.policy import PolicyEngine
from portal_api.rate_limit import RateLimiter
from portal_api.settings import PortalSettings
from portal_api.views import (
    EvidencePackView,
    InvoiceEntry,
    TrustPolicyView,
    UsageEntry,
)
from schemas import topics

log = get_logger(__name__)
T = TypeVar("T")
WRITE_NAMESPACE = uuid.UUID("8a4e2c1d-7b3f-5a6e-9d0c-2f1e4b3a5c6d")


class Portal:
    """Everything a request may need, built once from settings (nothing connects until started)."""

    def __init__(
        self,
        settings: PortalSettings,
        engine: PolicyEngine,
        verifier: TokenVerifier,
        now: Callable[[], datetime],
        tracer_provider: TracerProvider,
        registry: CollectorRegistry,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.verifier = verifier
        self.now = now
        self.broker, self.dead_letters = build_broker(
            settings, group=settings.service_name, tracer_provider=tracer_provider, registry=registry
        )
        self.mongo = build_mongo(settings, timeout_ms=800)
        db = self.mongo[settings.mongo_db]
        self.db = db
        self.tenants = ProjectionStore(self.mongo[settings.onboarding_db]["onboarding_tenants"], TenantView)
        self.keys = ProjectionStore(db["portal_api_keys"], ApiKeyRecord)
        self.users = ProjectionStore(db["portal_users"], Member)
        self.audit = ProjectionStore(db["portal_audit"], AuditEntry)
        self.usage = ProjectionStore(db["portal_usage"], UsageEntry)
        self.invoices = ProjectionStore(db["portal_invoices"], InvoiceEntry)
        self.trust_policies = ProjectionStore(db["portal_trust_policies"], TrustPolicyView)
        self.slsa_repos = ProjectionStore(db["portal_slsa_repos"], SlsaRepoStatus)
        self.evidence_packs = ProjectionStore(db["portal_evidence_packs"], EvidencePackView)
        self.evidence_archives = AsyncGridFSBucket(self.mongo[settings.evidence_db], bucket_name=EVIDENCE_BUCKET)
        self.idempotency = IdempotencyKeys(db["portal_idempotency"])
        self.limiter = RateLimiter(
            db["portal_rate_limits"],
            tenant_per_minute=settings.rate_limit_tenant_per_minute,
            subject_per_minute=settings.rate_limit_subject_per_minute,
            refusals_per_minute=settings.rate_limit_refusals_per_minute,
        )
        self.members = MembershipCache(self.users.get, settings.membership_cache_s)
        self.meter = UsageMeter(f"{settings.service_name}-{uuid.uuid4().hex[:12]}", now())

    # -- identity -------------------------------------------------------------------------------

    async def subject(self, token: str) -> Subject:
        """Who a bearer credential (JWT or API key) belongs to, with the roles the portal records."""
        parsed = api_keys.parse(token)
        if parsed is None:
            user_id = self.verifier.user_id(token)
            member = await self.stored(self.members.get(user_id), "credentials cannot be checked")
            return member.subject() if member else Subject(id=user_id)
        key_id, secret = parsed
        record = await self.stored(self.keys.get(key_id), "credentials cannot be checked")
        if record is None or not api_keys.verify(record, secret):
            raise AuthenticationError("invalid or revoked API key")
        return Subject(id=f"apikey:{key_id}", kind="api_key", tenant_roles={record.tenant: (record.role,)})

    # -- the shared steps -----------------------------------------------------------------------

    async def stored(self, call: Awaitable[T], unavailable: str = "tenant data is unavailable") -> T:
        """Await a MongoDB call, or answer 503 (the client gives up within 800 ms).

        A GridFS file that is not there is an answer, not an outage: NoFile passes through.
        """
        try:
            return await call
        except NoFile:
            raise
        except PyMongoError as exc:
            raise DependencyUnavailableError(unavailable) from exc

    async def send(self, event: CloudEvent, topic: str, unavailable: str) -> None:
        """Publish within a second, or answer 503: a request never hangs on Kafka."""
        try:
            await asyncio.wait_for(publish_event(self.broker, event, topic=self.settings.topic(topic)), 1.0)
        except Exception as exc:
            raise DependencyUnavailableError(unavailable) from exc

    async def authorize(
        self,
        who: Subject,
        tenant: str,
        action: str,
        resource: str,
        *,
        owner: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        meter: Meter | None = "api_calls",
    ) -> Access:
        """Count the request, decide, put the decision on the audit trail; raise when refused or limited.

        Returns the access: the fields of the view the presentation guard lets this subject see, and
        those it withholds. `owner` is the tenant that owns the resource, where it has one.
        A subject with no role in the tenant can only be refused: those refusals go to the platform's
        security trail (never the tenant's, which strangers cannot write into), and past
        `rate_limit_refusals_per_minute` a subject is answered 429 without another record.
        """
        at = self.now()
        self.limiter.hit("subject", who.id, at)
        stranger = not who.member_of(tenant)
        if stranger:
            self.limiter.hit("refusals", who.id, at)
        access = decide(
            self.engine,
            who,
            tenant=tenant,
            action=action,
            resource=resource,
            now=at,
            owner=owner,
            attributes=attributes,
        )
        fact = access.fact
        if stranger:
            fact = fact.model_copy(update={"tenantid": PLATFORM_TENANT})
        await self.record(fact)
        if not access.allowed:
            raise ForbiddenError
        # Only members' requests count against a tenant's limit: strangers cannot exhaust it.
        self.limiter.hit("tenant", tenant, at)
        if meter is not None:
            self.meter.count(tenant, meter, at)
        return access

    async def record(self, fact: AccessDecided) -> None:
        """No audit record, no access: the decision is on file before the answer goes out."""
        await self.send(fact, topics.AUDIT_EVENTS, "the audit trail is unavailable")

    def may(self, who: Subject, tenant: str, action: str, attributes: Mapping[str, Any] | None = None) -> bool:
        """Whether the policy would allow `action` (to show or hide a control; the request itself is decided again)."""
        return self.engine.allow(policy_input(who, tenant=tenant, action=action, attributes=attributes))

    async def accept(
        self,
        who: Subject,
        tenant: str,
        *,
        action: str,
        path: str,
        body: BaseModel,
        idempotency_key: str | None,
        topic: str,
        meter: Meter | None,
        build: Callable[[str, datetime], tuple[CloudEvent, dict[str, Any]]],
    ) -> JSONResponse:
        """Accept a write: authorize, publish the event `build` makes, answer 202 with its id.

        With an Idempotency-Key the same request replays the first answer and another request under
        the key is refused; the id derives from the key, so racing duplicates publish one id.
        """
        await self.authorize(who, tenant, action, path, meter=None)
        scoped = IdempotencyKeys.scoped(tenant, who.id, idempotency_key or str(uuid.uuid4()))
        request_sha = fingerprint("POST", path, body.model_dump(mode="json"))
        if idempotency_key and (answer := await self.stored(self.idempotency.replay(scoped, request_sha))):
            return JSONResponse(answer.body, answer.status_code, headers={"idempotent-replayed": "true"})
        at = self.now()
        event, reply = build(str(uuid.uuid5(WRITE_NAMESPACE, f"{action}\x1f{scoped}")), at)
        await self.send(event, topic, "the request could not be queued")
        self.meter.count(tenant, "api_calls", at)
        if meter is not None:
            self.meter.count(tenant, meter, at)
        if idempotency_key:
            answer = StoredAnswer(request_sha256=request_sha, status_code=202, body=reply, created_at=at)
            reply = (await self.stored(self.idempotency.remember(scoped, answer))).body
        return JSONResponse(reply, status_code=202)

    # -- metering -------------------------------------------------------------------------------

    async def flush_usage(self) -> int:
        """Publish the usage counted so far (one UsageRecorded per tenant, meter and period)."""
        batch = self.meter.batch(self.now())
        sent = []
        for event in batch:
            try:
                await asyncio.wait_for(
                    publish_event(self.broker, event, topic=self.settings.topic(topics.BILLING_EVENTS)), 5.0
                )
            except Exception as exc:
                log.warning("usage kept for the next batch", error=f"{type(exc).__name__}: {exc}")
                break
            sent.append(event)
        self.meter.sent(sent)
        return len(sent)

    async def meter_forever(self) -> None:
        """Flush usage every `usage_flush_s` seconds."""
        while True:
            await asyncio.sleep(self.settings.usage_flush_s)
            await self.flush_usage()

    async def share_limits_forever(self) -> None:
        """Share the rate-limit counts with the other replicas every `rate_limit_sync_s` seconds."""
        while True:
            await asyncio.sleep(self.settings.rate_limit_sync_s)
            try:
                await self.limiter.sync(self.now())
            except PyMongoError as exc:
                log.warning("rate-limit counts kept for the next sync", error=f"{type(exc).__name__}: {exc}")
