"""Pure mapping of tenant facts to the read models they add."""

from __future__ import annotations

from schemas.read_models import CohortMember, TenantState
from schemas.tenant import (
    TenantFact,
    TenantOnboarded,
    TenantProvisioned,
    TenantRejected,
    WebhookVerificationFailed,
    WebhookVerified,
)


def member_of(event: TenantFact) -> CohortMember | None:
    """The cohort member document a tenant fact adds, or None when it adds nothing.

    The cohort projection is insert-only (CohortView.of folds the members), so applying a fact
    twice or out of order changes nothing.
    """
    ttfv: float | None = None
    reason: str | None = None
    match event:
        case TenantProvisioned():
            state = TenantState.PROVISIONED
        case TenantRejected():
            state = TenantState.REJECTED
            reason = "; ".join(f"{p.field}: {p.reason}" for p in event.data.problems)
        case WebhookVerificationFailed():
            state = TenantState.VERIFICATION_FAILED
            reason = event.data.reason
        case TenantOnboarded():
            state = TenantState.ONBOARDED
            ttfv = event.data.time_to_first_verify_s
        case WebhookVerified():
            return None  # TenantOnboarded follows and carries time-to-first-verify
    return CohortMember(
        event_id=event.id,
        cohort=event.data.cohort,
        slug=event.data.slug,
        state=state,
        ttfv_s=ttfv,
        reason=reason,
        at=event.time,
    )
