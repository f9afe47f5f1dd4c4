from datetime import UTC, datetime, timedelta

import pytest
from onboarding.domain import PingOutcome, Rules, decide, record_verification, validate
from onboarding.ssrf import UrlPolicy
from schemas.read_models import TenantState
from schemas.tenant import (
    TenantOnboarded,
    TenantProvisioned,
    TenantRejected,
    TenantRequested,
    TenantRequestedData,
    WebhookVerificationFailed,
    WebhookVerified,
    tenant_key,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RULES = Rules(urls=UrlPolicy(allow_hosts=frozenset({"127.0.0.1"})))


def request(slug: str = "acme", *, id: str = "req-1", **fields: str) -> TenantRequested:
    data = {"slug": slug, "webhook_url": "https://hooks.acme.example/trust", "requested_at": NOW} | fields
    return TenantRequested.create(
        data=TenantRequestedData.model_validate(data), source="/tests", tenantid=tenant_key(slug), time=NOW, id=id
    )


def test_a_valid_request_provisions_the_tenant_with_a_deterministic_event_id():
    first = decide(None, request(), now=NOW, sealed_secret="sealed", rules=RULES)
    again = decide(None, request(), now=NOW, sealed_secret="other", rules=RULES)
    assert first.record is not None and first.record.state is TenantState.PROVISIONED
    assert [type(f) for f in first.facts] == [TenantProvisioned]
    assert first.facts[0].id == again.facts[0].id
    assert first.needs_verification


def test_a_rejection_names_every_problem_with_its_field():
    bad = request("9-Bad_Slug", webhook_url="ftp://x", contact_email="not-an-email", plan="gold", cohort="bad cohort!")
    decision = decide(None, bad, now=NOW, sealed_secret="s", rules=RULES)
    assert decision.record is None
    (fact,) = decision.facts
    assert isinstance(fact, TenantRejected)
    assert {p.field for p in fact.data.problems} == {"slug", "webhook_url", "contact_email", "plan", "cohort"}
    assert "scheme 'ftp'" in next(p.reason for p in fact.data.problems if p.field == "webhook_url")


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("ab", "3-40"),
        ("a" * 41, "3-40"),
        ("Acme", "lowercase"),
        ("acme--x", "lowercase"),
        ("acme-", "lowercase"),
        ("admin", "reserved"),
    ],
)
def test_slug_rules(slug, reason):
    problems = validate(request(slug).data, RULES)
    assert [p.field for p in problems] == ["slug"]
    assert reason in problems[0].reason


def test_http_is_refused_unless_the_host_is_allow_listed():
    assert validate(request(webhook_url="http://127.0.0.1:9/h").data, RULES) == ()
    (problem,) = validate(request(webhook_url="http://hooks.example/h").data, RULES)
    assert problem.field == "webhook_url" and "https" in problem.reason


def test_the_same_request_redelivered_changes_nothing():
    provisioned = decide(None, request(), now=NOW, sealed_secret="s", rules=RULES).record
    again = decide(provisioned, request(), now=NOW + timedelta(seconds=5), sealed_secret="t", rules=RULES)
    assert again.record is provisioned
    assert again.facts == ()


def test_a_duplicate_request_with_the_same_details_and_a_new_id_changes_nothing():
    provisioned = decide(None, request(), now=NOW, sealed_secret="s", rules=RULES).record
    again = decide(provisioned, request(id="req-2"), now=NOW, sealed_secret="t", rules=RULES)
    assert again.record is provisioned and again.facts == ()


def test_a_conflicting_request_for_an_existing_slug_is_rejected():
    provisioned = decide(None, request(), now=NOW, sealed_secret="s", rules=RULES).record
    conflict = decide(
        provisioned, request(id="req-2", webhook_url="https://evil.example/h"), now=NOW, sealed_secret="t", rules=RULES
    )
    assert conflict.record is None
    assert "already exists" in conflict.facts[0].data.problems[0].reason


def test_a_verified_webhook_onboards_the_tenant_with_time_to_first_verify():
    record = decide(None, request(), now=NOW, sealed_secret="s", rules=RULES).record
    assert record is not None
    done = record_verification(record, PingOutcome(True, 3, 200, 12.5), now=NOW + timedelta(seconds=2))
    assert done.record is not None
    assert [type(f) for f in done.facts] == [WebhookVerified, TenantOnboarded]
    assert done.facts[0].data.attempts == 3
    assert done.facts[1].data.time_to_first_verify_s == 2.0
    assert done.record.state is TenantState.ONBOARDED
    assert len(done.record.outbox) == 3 and done.record.lease_until is None
    assert not done.needs_verification


def test_a_failed_verification_is_final_and_keeps_the_reason():
    record = decide(None, request(), now=NOW, sealed_secret="s", rules=RULES).record
    assert record is not None
    done = record_verification(record, PingOutcome(False, 5, 500, 3.0, "HTTP 500 after 5 attempts"), now=NOW)
    assert done.record is not None
    (fact,) = done.facts
    assert isinstance(fact, WebhookVerificationFailed)
    assert fact.data.attempts == 5 and fact.data.status_code == 500
    assert done.record.state is TenantState.VERIFICATION_FAILED
    assert done.record.failure_reason == "HTTP 500 after 5 attempts"


def test_the_public_view_never_carries_the_secret():
    record = decide(None, request(), now=NOW, sealed_secret="sealed-secret", rules=RULES).record
    assert record is not None
    assert "sealed-secret" not in record.view().model_dump_json()


@pytest.mark.parametrize("slug", ["platform", "Platform!", "", "x" * 300])
def test_a_rejection_for_a_reserved_or_invalid_slug_is_keyed_to_no_tenant(slug):
    (fact,) = decide(None, request(slug, plan="<b>gold</b>"), now=NOW, sealed_secret="s", rules=RULES).facts
    assert isinstance(fact, TenantRejected) and fact.tenantid == "_intake"


def test_a_conflicting_request_for_an_existing_tenant_is_rejected_without_writing_under_its_id():
    first = decide(None, request(), now=NOW, sealed_secret="s", rules=RULES)
    other = request(id="req-2", webhook_url="https://elsewhere.example/hook")
    (fact,) = decide(first.record, other, now=NOW, sealed_secret="s", rules=RULES).facts
    assert isinstance(fact, TenantRejected) and fact.tenantid == "_intake" and fact.subject == "acme"
