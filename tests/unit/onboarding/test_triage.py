"""Cohort triage: each failure reason the service produces lands in its cause, with the partner's action."""

from __future__ import annotations

from datetime import UTC, datetime

from onboarding.triage import CAUSES, cause_of, markdown, triage
from schemas.read_models import TenantState, TenantView

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def tenant(slug: str, reason: str | None, *, state: TenantState = TenantState.VERIFICATION_FAILED,
           status: int | None = None, problems: tuple[str, ...] = ()) -> TenantView:  # fmt: skip
    return TenantView(slug=slug, cohort="wave-3", state=state, request_id=f"r-{slug}", requested_at=NOW,
                      failure_reason=reason, last_status_code=status, problems=problems)  # fmt: skip


CASES = [
    (tenant("v", None, state=TenantState.REJECTED, problems=("webhook_url: is required",)), "validation"),
    (tenant("s1", "hooks.v.example resolves to 10.0.0.5, private; refused (not allow-listed)"), "ssrf"),
    (tenant("s2", "scheme 'http' is not allowed; use https"), "ssrf"),
    (tenant("s3", "port 8443 is not allowed; webhooks are called on port 443"), "ssrf"),
    (tenant("d", "cannot resolve hooks.d.example: Name or service not known after 5 attempts"), "dns"),
    (tenant("t", "connection failed: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
     "tls"),
    (tenant("o", "timed out after 10s after 5 attempts"), "timeout"),
    (tenant("c", "connection failed: ConnectError: All connection attempts failed after 5 attempts"), "connect"),
    (tenant("g1", "HTTP 401 after 5 attempts", status=401), "signature"),
    (tenant("g2", "HTTP 403 after 5 attempts"), "signature"),
    (tenant("n", "HTTP 410", status=410), "http-4xx"),
    (tenant("e", "HTTP 503 after 5 attempts", status=503), "http-5xx"),
    (tenant("x", "something new"), "other"),
]  # fmt: skip


def test_every_reason_the_service_gives_lands_in_its_cause():
    assert [(t.slug, cause_of(t).name) for t, _ in CASES] == [(t.slug, name) for t, name in CASES]
    assert {name for _, name in CASES} == {c.name for c in CAUSES}  # every cause is reachable


def test_failures_are_grouped_largest_first_with_the_reasons_and_onboarded_tenants_left_out():
    tenants = [
        tenant("a", "HTTP 401 after 5 attempts", status=401),
        tenant("b", "HTTP 401 after 5 attempts", status=401),
        tenant("c", "timed out after 10s after 5 attempts"),
        tenant("ok", None, state=TenantState.ONBOARDED),
        tenant("wip", None, state=TenantState.PROVISIONED),
    ]
    groups = triage(tenants)
    assert [(g.cause.name, [t for t, _ in g.tenants]) for g in groups] == [("signature", ["a", "b"]),
                                                                          ("timeout", ["c"])]  # fmt: skip
    notes = markdown("wave-3", groups, len(tenants))
    assert notes.startswith("# Cohort wave-3: 3 of 5 partners need help")
    assert "## receiver rejected the signature (401/403) (2)" in notes and "- `c`: timed out" in notes
    assert "webhook secret" in notes
