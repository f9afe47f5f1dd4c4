from datetime import UTC, datetime
from typing import Any

from onboarding import projections
from onboarding.follow import BatchProgress
from onboarding.projections import member_of
from schemas.read_models import CohortMember, CohortView, TenantState
from schemas.tenant import (
    Problem,
    TenantOnboarded,
    TenantOnboardedData,
    TenantProvisioned,
    TenantProvisionedData,
    TenantRejected,
    TenantRejectedData,
    WebhookVerificationFailed,
    WebhookVerificationFailedData,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)
COMMON: dict[str, Any] = {"source": "/tests", "time": NOW}


def provisioned(slug):
    return TenantProvisioned.create(
        data=TenantProvisionedData(
            slug=slug,
            display_name=slug,
            contact_email="",
            plan="standard",
            cohort="c1",
            webhook_url="https://x",
            request_id="r",
            requested_at=NOW,
            provisioned_at=NOW,
        ),
        tenantid=slug,
        caused_by=f"req-{slug}",
        **COMMON,
    )


def onboarded(slug, ttfv):
    return TenantOnboarded.create(
        data=TenantOnboardedData(
            slug=slug, cohort="c1", requested_at=NOW, onboarded_at=NOW, time_to_first_verify_s=ttfv
        ),
        tenantid=slug,
        caused_by=f"req-{slug}",
        **COMMON,
    )


def failed(slug):
    return WebhookVerificationFailed.create(
        data=WebhookVerificationFailedData(
            slug=slug, cohort="c1", attempts=5, status_code=500, reason="HTTP 500 after 5 attempts", failed_at=NOW
        ),
        tenantid=slug,
        caused_by=f"req-{slug}",
        **COMMON,
    )


def rejected(slug):
    return TenantRejected.create(
        data=TenantRejectedData(
            slug=slug,
            cohort="c1",
            request_id="r",
            rejected_at=NOW,
            problems=(Problem(field="plan", reason="unknown plan"),),
        ),
        tenantid=slug,
        caused_by=f"req-{slug}",
        **COMMON,
    )


def fold(*events):
    """Fold facts the way the store does: insert-only documents, a duplicate key changes nothing."""
    members: dict[str, CohortMember] = {}
    for event in events:
        member = member_of(event)
        if member is not None:
            members.setdefault(event.id, member)
    return projections.cohort_view("c1", list(members.values()))


def test_cohort_metrics_follow_the_facts():
    view = fold(
        provisioned("a"),
        provisioned("b"),
        provisioned("c"),
        onboarded("a", 1.0),
        onboarded("b", 3.0),
        failed("c"),
        rejected("d"),
    )
    s = projections.cohort_summary(view)
    assert (s["requested"], s["provisioned"], s["verified"], s["failed"], s["pending"]) == (4, 3, 2, 2, 0)
    assert s["failure_rate"] == 0.5
    assert (s["ttfv_p50_s"], s["ttfv_p95_s"]) == (1.0, 3.0)
    assert view.reasons == {"c": "HTTP 500 after 5 attempts", "d": "plan: unknown plan"}


def test_a_rejection_then_a_corrected_request_counts_the_tenant_once():
    view = fold(rejected("a"), provisioned("a"), onboarded("a", 2.0))
    assert view.states == {"a": TenantState.ONBOARDED} and view.reasons == {}


def test_the_batch_follower_folds_facts_for_its_own_tenants_only():
    progress = BatchProgress({"a": "c1", "b": "c1"})
    for fact in (provisioned("a"), onboarded("a", 1.5), failed("b"), provisioned("x"), provisioned("a")):
        progress.apply(fact)
    assert progress.tenants["a"].state == "onboarded" and progress.tenants["a"].ttfv_s == 1.5
    assert progress.tenants["b"].state == "verification_failed" and progress.tenants["b"].attempts == 5
    assert progress.finished and "x" not in progress.tenants


def test_applying_a_fact_twice_changes_nothing():
    once = fold(provisioned("a"), onboarded("a", 1.0))
    assert fold(provisioned("a"), onboarded("a", 1.0), onboarded("a", 1.0), provisioned("a")) == once


def test_a_late_earlier_fact_never_undoes_a_final_state():
    view = fold(onboarded("a", 1.0), provisioned("a"))
    assert view.states == {"a": TenantState.ONBOARDED}


def test_a_conflicting_rejection_does_not_overwrite_an_existing_tenant():
    assert fold(provisioned("a"), onboarded("a", 1.0), rejected("a")).states == {"a": TenantState.ONBOARDED}


def test_percentiles_use_nearest_rank():
    view = CohortView(cohort="c", ttfv_s={str(i): float(i) for i in range(1, 101)})
    assert [projections.ttfv_quantile(view, q) for q in (0.5, 0.95, 1.0)] == [50.0, 95.0, 100.0]
    assert projections.ttfv_quantile(CohortView(cohort="empty"), 0.5) is None
