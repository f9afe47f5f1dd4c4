"""Pure folds of tenant facts into read models: (view | None, event) -> view."""

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

_RANK = {
    TenantState.PROVISIONED: 0,
    TenantState.REJECTED: 1,
    TenantState.VERIFICATION_FAILED: 1,
    TenantState.ONBOARDED: 2,
}


def member_key(event: TenantFact) -> str:
    """Key of the cohort member document a fact updates."""
    return f"{event.data.cohort}/{event.data.slug}"


def apply_to_member(member: CohortMember | None, event: TenantFact) -> CohortMember | None:
    """Fold one tenant fact into the tenant's cohort membership; None when it changes nothing.

    A tenant's state only moves forward (a late or replayed earlier fact never undoes a final
    state), so applying facts twice or out of order changes nothing.
    """
    ttfv = member.ttfv_s if member else None
    reason = member.reason if member else None
    match event:
        case TenantProvisioned():
            state = TenantState.PROVISIONED
        case TenantRejected():
            if member is not None:  # a conflicting request for an existing tenant leaves it as it is
                return None
            state = TenantState.REJECTED
            reason = "; ".join(f"{p.field}: {p.reason}" for p in event.data.problems)
        case WebhookVerificationFailed():
            state = TenantState.VERIFICATION_FAILED
            reason = event.data.reason
        case TenantOnboarded():
            state = TenantState.ONBOARDED
            ttfv = event.data.time_to_first_verify_s
            reason = None
        case WebhookVerified():
            return None  # TenantOnboarded follows and carries time-to-first-verify
    if member is not None and _RANK[member.state] > _RANK[state]:
        return None
    return CohortMember(
        cohort=event.data.cohort, slug=event.data.slug, state=state, ttfv_s=ttfv, reason=reason, updated_at=event.time
    )
