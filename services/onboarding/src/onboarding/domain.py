"""Pure onboarding rules: validate a request, provision idempotently, record a webhook verification."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from schemas.envelope import CloudEvent, Contract, UtcDatetime
from schemas.read_models import TenantState, TenantView
from schemas.tenant import (
    INTAKE_KEY,
    RESERVED_SLUGS,
    SLUG_LENGTH,
    SLUG_PATTERN,
    Problem,
    TenantOnboarded,
    TenantOnboardedData,
    TenantProvisioned,
    TenantProvisionedData,
    TenantRejected,
    TenantRejectedData,
    TenantRequested,
    TenantRequestedData,
    WebhookVerificationFailed,
    WebhookVerificationFailedData,
    WebhookVerified,
    WebhookVerifiedData,
)

from onboarding.errors import UnsafeUrlError
from onboarding.ssrf import UrlPolicy, parse_webhook_url

SOURCE = "/services/onboarding"
SLUG = re.compile(SLUG_PATTERN)
COHORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
E = TypeVar("E", bound=CloudEvent)


@dataclass(frozen=True)
class Rules:
    """The configurable part of the rules: plans on offer and the webhook URL policy."""

    plans: frozenset[str] = frozenset({"starter", "standard", "enterprise"})
    urls: UrlPolicy = field(default_factory=UrlPolicy)


class TenantRecord(TenantView):
    """Onboarding's own tenant document: the read model plus the sealed secret and the outbox."""

    webhook_secret_sealed: str = ""
    outbox: tuple[str, ...] = ()
    lease_until: UtcDatetime | None = None
    lease_owner: str | None = None

    def fact(self, kind: type[E], data: Contract, now: datetime) -> E:
        """A fact about this tenant, with the id derived from the request that created it."""
        return kind.create(
            data=data, source=SOURCE, tenantid=self.slug, subject=self.slug, time=now, caused_by=self.request_id
        )

    def view(self) -> TenantView:
        """The public read model, without secret or outbox."""
        return TenantView.model_validate(
            self.model_dump(exclude={"webhook_secret_sealed", "outbox", "lease_until", "lease_owner"})
        )


@dataclass(frozen=True)
class Decision:
    """What handling one request leads to: the record to store (if any) and the facts to publish."""

    record: TenantRecord | None
    facts: tuple[CloudEvent, ...]

    @property
    def needs_verification(self) -> bool:
        """Whether the tenant's webhook still has to be pinged."""
        return self.record is not None and self.record.state is TenantState.PROVISIONED


@dataclass(frozen=True)
class PingOutcome:
    """How verifying a webhook went, over all attempts."""

    ok: bool
    attempts: int
    status_code: int | None
    latency_ms: float
    reason: str = ""


def validate(data: TenantRequestedData, rules: Rules) -> tuple[Problem, ...]:
    """Every problem with a request, each naming its field; empty when the request is acceptable."""
    problems: list[Problem] = []
    slug = data.slug
    low, high = SLUG_LENGTH
    if not low <= len(slug) <= high:
        problems.append(Problem(field="slug", reason=f"must be {low}-{high} characters long (got {len(slug)})"))
    elif not SLUG.match(slug):
        problems.append(
            Problem(
                field="slug",
                reason="must be lowercase letters, digits and single hyphens, starting with a letter",
            )
        )
    elif slug in RESERVED_SLUGS:
        problems.append(Problem(field="slug", reason=f"{slug!r} is reserved"))
    if len(data.display_name) > 100:
        problems.append(Problem(field="display_name", reason="must be at most 100 characters"))
    if not data.webhook_url.strip():
        problems.append(Problem(field="webhook_url", reason="is required"))
    else:
        try:
            parse_webhook_url(data.webhook_url, rules.urls)
        except UnsafeUrlError as exc:
            problems.append(Problem(field="webhook_url", reason=str(exc)))
    if data.contact_email:
        try:
            validate_email(data.contact_email, check_deliverability=False)
        except EmailNotValidError as exc:
            problems.append(Problem(field="contact_email", reason=str(exc)))
    if data.plan not in rules.plans:
        problems.append(
            Problem(field="plan", reason=f"unknown plan {data.plan!r}; one of {', '.join(sorted(rules.plans))}")
        )
    if not COHORT.match(data.cohort):
        problems.append(Problem(field="cohort", reason="must be 1-64 characters: letters, digits, '.', '_' or '-'"))
    return tuple(problems)


def _same_request(record: TenantRecord, data: TenantRequestedData) -> bool:
    return (
        record.webhook_url == data.webhook_url.strip()
        and record.plan == data.plan
        and record.cohort == data.cohort
        and record.display_name == (data.display_name.strip() or data.slug)
        and record.contact_email == data.contact_email.strip()
    )


def _reject(event: TenantRequested, problems: tuple[Problem, ...], now: datetime) -> Decision:
    # A rejection provisioned nothing, so it is no tenant's fact: keyed to the intake, never to a
    # tenant id (a stranger asking for `platform` or an existing slug writes nothing of theirs).
    fact = TenantRejected.create(
        data=TenantRejectedData(
            slug=event.data.slug, cohort=event.data.cohort, request_id=event.id, problems=problems, rejected_at=now
        ),
        source=SOURCE,
        tenantid=INTAKE_KEY,
        subject=event.data.slug[:200],
        time=now,
        caused_by=event.id,
    )
    return Decision(record=None, facts=(fact,))


def decide(
    current: TenantRecord | None, event: TenantRequested, *, now: datetime, sealed_secret: str, rules: Rules
) -> Decision:
    """Decide what a tenant request does, given the tenant as stored (if it exists).

    The same request redelivered, or the same details requested again, changes nothing and
    re-publishes the tenant's facts (their ids are deterministic); a request that conflicts with
    an existing tenant is rejected, naming the conflict.
    """
    data = event.data
    problems = validate(data, rules)
    if problems:
        return _reject(event, problems, now)
    if current is not None:
        if current.request_id == event.id or _same_request(current, data):
            return Decision(record=current, facts=())
        conflict = Problem(
            field="slug", reason=f"tenant {data.slug!r} already exists with different details; choose another slug"
        )
        return _reject(event, (conflict,), now)
    provisioned = TenantProvisioned.create(
        data=TenantProvisionedData(
            slug=data.slug,
            display_name=data.display_name.strip() or data.slug,
            contact_email=data.contact_email.strip(),
            plan=data.plan,
            cohort=data.cohort,
            webhook_url=data.webhook_url.strip(),
            request_id=event.id,
            requested_at=data.requested_at,
            provisioned_at=now,
        ),
        source=SOURCE,
        tenantid=data.slug,
        subject=data.slug,
        time=now,
        caused_by=event.id,
    )
    record = TenantRecord(
        slug=data.slug,
        display_name=provisioned.data.display_name,
        contact_email=provisioned.data.contact_email,
        plan=data.plan,
        cohort=data.cohort,
        webhook_url=provisioned.data.webhook_url,
        state=TenantState.PROVISIONED,
        request_id=event.id,
        requested_at=data.requested_at,
        provisioned_at=now,
        webhook_secret_sealed=sealed_secret,
        outbox=(provisioned.to_json().decode(),),
    )
    return Decision(record=record, facts=(provisioned,))


def record_verification(record: TenantRecord, outcome: PingOutcome, *, now: datetime) -> Decision:
    """Turn the webhook verification's outcome into facts and the tenant's final state."""
    facts: tuple[CloudEvent, ...]
    if outcome.ok:
        ttfv = round(max(0.0, (now - record.requested_at).total_seconds()), 6)
        verified = WebhookVerifiedData(
            slug=record.slug,
            cohort=record.cohort,
            attempts=outcome.attempts,
            status_code=outcome.status_code or 200,
            latency_ms=round(outcome.latency_ms, 3),
            verified_at=now,
        )
        onboarded = TenantOnboardedData(
            slug=record.slug,
            cohort=record.cohort,
            requested_at=record.requested_at,
            onboarded_at=now,
            time_to_first_verify_s=ttfv,
        )
        facts = (record.fact(WebhookVerified, verified, now), record.fact(TenantOnboarded, onboarded, now))
        final = {"state": TenantState.ONBOARDED, "verified_at": now, "time_to_first_verify_s": ttfv}
    else:
        failed = WebhookVerificationFailedData(
            slug=record.slug,
            cohort=record.cohort,
            attempts=outcome.attempts,
            status_code=outcome.status_code,
            reason=outcome.reason,
            failed_at=now,
        )
        facts = (record.fact(WebhookVerificationFailed, failed, now),)
        final = {"state": TenantState.VERIFICATION_FAILED, "failure_reason": outcome.reason}
    updated = record.model_copy(
        update={
            **final,
            "attempts": outcome.attempts,
            "last_status_code": outcome.status_code,
            "outbox": (*record.outbox, *(f.to_json().decode() for f in facts)),
            "lease_until": None,
            "lease_owner": None,
        }
    )
    return Decision(record=updated, facts=facts)
