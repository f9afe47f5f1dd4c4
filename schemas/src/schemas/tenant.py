"""Tenant context: the onboarding request on the intake topic and the facts on tenant.events.v1."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from schemas.envelope import CloudEvent, Contract, UtcDatetime

# Requests arrive from partners and CSV files: fields are bounded strings here and judged by the
# onboarding domain, so a bad value becomes a TenantRejected naming it rather than a dead letter.
Text = Annotated[str, Field(max_length=2048)]


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
