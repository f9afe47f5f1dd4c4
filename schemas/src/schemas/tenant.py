"""Tenant context: the onboarding request on the intake topic and the facts on tenant.events.v1."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from schemas.envelope import CloudEvent, Contract, UtcDatetime

SLUG_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
"""A tenant id: lowercase letters, digits and single hyphens, starting with a letter (3-40 characters)."""
SLUG_LENGTH = (3, 40)
RESERVED_SLUGS = frozenset({"admin", "api", "www", "platform", "system", "root", "trust-portal", "default"})
"""Slugs no partner may take: the platform's own names (`platform` is the tenant id of its own events)."""
PLATFORM_TENANT = "platform"
"""The tenant id of the platform's own events (policy bundles, runner pool signals)."""
INTAKE_KEY = "_intake"
"""The key and tenantid of intake traffic that names no valid tenant, and of every rejection.

It cannot be a slug (an underscore is never in one), so nothing keyed by it is ever a tenant's.
"""


def is_tenant_slug(value: str) -> bool:
    """Whether `value` can be a partner's tenant id: well formed and not reserved."""
    low, high = SLUG_LENGTH
    return low <= len(value) <= high and re.match(SLUG_PATTERN, value) is not None and value not in RESERVED_SLUGS


def tenant_key(slug: str) -> str:
    """The Kafka key and CloudEvents tenantid of a request naming `slug`: the slug, or INTAKE_KEY."""
    return slug if is_tenant_slug(slug) else INTAKE_KEY


# Requests arrive from partners and CSV files: fields are bounded strings here and judged by the
# onboarding domain, so a bad value becomes a TenantRejected naming it rather than a dead letter.
MAX_FIELD_CHARS = 2048
Text = Annotated[str, Field(max_length=MAX_FIELD_CHARS)]


class TenantRequestedData(Contract):
    """What a partner asks for when it joins a cohort."""

    slug: Text = Field(description="Tenant id: 3-40 chars of a-z, 0-9 and '-', starting with a letter.")
    display_name: Text = ""
    webhook_url: Text
    contact_email: Text = ""
    plan: Text = "standard"
    cohort: Text = "default"
    requested_at: UtcDatetime


class TenantRequested(CloudEvent):
    """A request to onboard a tenant (a command, on the intake topic)."""

    TYPE: ClassVar[str] = "io.trustportal.tenant.requested.v1"
    type: Literal["io.trustportal.tenant.requested.v1"] = "io.trustportal.tenant.requested.v1"
    data: TenantRequestedData


class Problem(Contract):
    """One reason a request was refused, naming the field."""

    field: str
    reason: str


class TenantProvisionedData(Contract):
    """The tenant exists: its identity, plan and cohort."""

    slug: str
    display_name: str
    contact_email: str
    plan: str
    cohort: str
    webhook_url: str
    request_id: str
    requested_at: UtcDatetime
    provisioned_at: UtcDatetime


class TenantProvisioned(CloudEvent):
    """A tenant was provisioned."""

    TYPE: ClassVar[str] = "io.trustportal.tenant.provisioned.v1"
    type: Literal["io.trustportal.tenant.provisioned.v1"] = "io.trustportal.tenant.provisioned.v1"
    data: TenantProvisionedData


class TenantRejectedData(Contract):
    """A request was refused; `problems` names every one found."""

    slug: str
    cohort: str
    request_id: str
    problems: tuple[Problem, ...]
    rejected_at: UtcDatetime


class TenantRejected(CloudEvent):
    """A tenant request was rejected."""

    TYPE: ClassVar[str] = "io.trustportal.tenant.rejected.v1"
    type: Literal["io.trustportal.tenant.rejected.v1"] = "io.trustportal.tenant.rejected.v1"
    data: TenantRejectedData


class WebhookVerifiedData(Contract):
    """The tenant's webhook answered a signed ping with a 2xx."""

    slug: str
    cohort: str
    attempts: int = Field(ge=1)
    status_code: int
    latency_ms: float = Field(ge=0, description="Latency of the successful attempt.")
    verified_at: UtcDatetime


class WebhookVerified(CloudEvent):
    """A tenant's webhook was verified."""

    TYPE: ClassVar[str] = "io.trustportal.tenant.webhook-verified.v1"
    type: Literal["io.trustportal.tenant.webhook-verified.v1"] = "io.trustportal.tenant.webhook-verified.v1"
    data: WebhookVerifiedData


class WebhookVerificationFailedData(Contract):
    """The tenant's webhook never answered a signed ping with a 2xx within the bounded retries."""

    slug: str
    cohort: str
    attempts: int = Field(ge=0)
    status_code: int | None = Field(default=None, description="Status of the last attempt, if any.")
    reason: str
    failed_at: UtcDatetime


class WebhookVerificationFailed(CloudEvent):
    """A tenant's webhook could not be verified."""

    TYPE: ClassVar[str] = "io.trustportal.tenant.webhook-verification-failed.v1"
    type: Literal["io.trustportal.tenant.webhook-verification-failed.v1"] = (
        "io.trustportal.tenant.webhook-verification-failed.v1"
    )
    data: WebhookVerificationFailedData


class TenantOnboardedData(Contract):
    """The tenant is live: provisioned and its webhook verified."""

    slug: str
    cohort: str
    requested_at: UtcDatetime
    onboarded_at: UtcDatetime
    time_to_first_verify_s: float = Field(ge=0, description="From the request to the webhook verification.")


class TenantOnboarded(CloudEvent):
    """A tenant completed onboarding."""

    TYPE: ClassVar[str] = "io.trustportal.tenant.onboarded.v1"
    type: Literal["io.trustportal.tenant.onboarded.v1"] = "io.trustportal.tenant.onboarded.v1"
    data: TenantOnboardedData


TenantFact = Annotated[
    TenantProvisioned | TenantRejected | WebhookVerified | WebhookVerificationFailed | TenantOnboarded,
    Field(discriminator="type"),
]
"""Any event on tenant.events.v1."""

TENANT_FACTS: TypeAdapter[TenantFact] = TypeAdapter(TenantFact)
