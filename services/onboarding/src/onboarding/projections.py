"""Pure folds of onboarding's read models: tenant facts to cohort members, members to a cohort's view."""

from __future__ import annotations

from schemas.read_models import CohortMember, CohortView, TenantState
from schemas.tenant import (
    TenantFact,
    TenantOnboarded,
    TenantProvisioned,
    TenantRejected,
    WebhookVerificationFailed,
    WebhookVerified,
)
from service_kit.quantiles import nearest_rank


def member_of(event: TenantFact) -> CohortMember | None:
    """The cohort member document a tenant fact adds, or None when it adds nothing.

    The cohort projection is insert-only (cohort_view folds the members), so applying a fact
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


def cohort_view(cohort: str, members: list[CohortMember]) -> CohortView:
    """The cohort's view from its members' documents: each tenant at its highest-ranked state."""
    top: dict[str, CohortMember] = {}
    for member in members:
        if member.cohort == cohort:
            best = top.get(member.slug)
            if best is None or member.state.rank > best.state.rank:
                top[member.slug] = member
    return CohortView(
        cohort=cohort,
        states={m.slug: m.state for m in top.values()},
        ttfv_s={m.slug: m.ttfv_s for m in top.values() if m.ttfv_s is not None},
        reasons={m.slug: m.reason for m in top.values() if m.reason},
        updated_at=max((m.at for m in members), default=None),
    )


def ttfv_quantile(view: CohortView, q: float) -> float | None:
    """Time-to-first-verify at quantile `q` (nearest rank), or None before any verification."""
    return nearest_rank(view.ttfv_s.values(), q)


def cohort_summary(view: CohortView) -> dict[str, float | int | str | None]:
    """The cohort's metrics as plain values (for tables, JSON and the portal)."""
    return {
        "cohort": view.cohort,
        "requested": view.requested,
        "provisioned": view.provisioned,
        "verified": view.verified,
        "failed": view.failed,
        "pending": view.pending,
        "failure_rate": round(view.failure_rate, 4),
        "ttfv_p50_s": ttfv_quantile(view, 0.50),
        "ttfv_p95_s": ttfv_quantile(view, 0.95),
        "updated_at": view.updated_at.isoformat() if view.updated_at else None,
    }
