"""Pure folds of tenant facts into read models: (view | None, event) -> view."""

from __future__ import annotations

from schemas.read_models import CohortView, TenantState
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


def cohort_of(event: TenantFact) -> str:
    """The cohort a tenant fact belongs to."""
    return event.data.cohort


def apply_to_cohort(view: CohortView | None, event: TenantFact) -> CohortView:
    """Fold one tenant fact into its cohort's metrics.

    A tenant's state only moves forward (a late or replayed earlier fact never undoes a final
    state), and the per-tenant maps make the fold idempotent even without event-id dedup.
    """
    view = view or CohortView(cohort=cohort_of(event))
    slug = event.data.slug
    states = dict(view.states)
    ttfv = dict(view.ttfv_s)
    reasons = dict(view.reasons)
    new_state: TenantState
    match event:
        case TenantProvisioned():
            new_state = TenantState.PROVISIONED
        case TenantRejected():
            if slug in states:  # a conflicting request for an existing tenant leaves it as it is
                return view
            new_state = TenantState.REJECTED
            reasons[slug] = "; ".join(f"{p.field}: {p.reason}" for p in event.data.problems)
        case WebhookVerificationFailed():
            new_state = TenantState.VERIFICATION_FAILED
            reasons[slug] = event.data.reason
        case TenantOnboarded():
            new_state = TenantState.ONBOARDED
            ttfv[slug] = event.data.time_to_first_verify_s
            reasons.pop(slug, None)
        case WebhookVerified():
            return view  # TenantOnboarded follows and carries time-to-first-verify
    old = states.get(slug)
    if old is not None and _RANK[old] > _RANK[new_state]:
        return view
    states[slug] = new_state
    return view.model_copy(update={"states": states, "ttfv_s": ttfv, "reasons": reasons, "updated_at": event.time})
