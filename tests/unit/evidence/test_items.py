"""Which events are evidence, for which tenant and month; what is not a CloudEvent is refused."""

from __future__ import annotations

import json

import pytest
from evidence.items import stored
from pydantic import ValidationError


def event(type_: str, **extra) -> bytes:
    base = {"specversion": "1.0", "id": "e1", "source": "/services/x", "type": type_,
            "time": "2026-11-30T23:30:00-02:00", "tenantid": "acme", "data": {}}  # fmt: skip
    return json.dumps({**base, **extra}).encode()


def test_evidence_is_kept_by_tenant_and_utc_month_with_its_bytes():
    item = stored(event("io.trustportal.provenance.verified.v1"))
    assert item is not None and (item.tenant, item.kind, item.event_id) == ("acme", "provenance", "e1")
    assert item.period == "2026-12"  # 23:30 at -02:00 is December in UTC
    assert item.body["type"] == "io.trustportal.provenance.verified.v1"
    policy, onboarding = (
        stored(event("io.trustportal.policy.bundle-published.v1", tenantid="platform")),
        stored(event("io.trustportal.tenant.onboarded.v1")),
    )
    assert policy is not None and policy.kind == "policy"
    assert onboarding is not None and onboarding.kind == "onboarding"


def test_what_is_not_evidence_is_skipped():
    assert stored(event("io.trustportal.tenant.requested.v1")) is None
    assert stored(event("io.trustportal.tenant.rejected.v1")) is None
    assert stored(event("io.trustportal.audit.access-decided.v1")) is None


@pytest.mark.parametrize("tenant", ["platform", "_intake", "Acme", "admin", "a" * 64])
def test_only_the_policy_bundle_counts_as_platform_evidence_and_no_other_id_but_a_tenants(tenant):
    assert stored(event("io.trustportal.tenant.onboarded.v1", tenantid=tenant)) is None
    assert stored(event("io.trustportal.policy.trust-policy-updated.v1", tenantid=tenant)) is None
    assert stored(event("io.trustportal.provenance.verified.v1", tenantid=tenant)) is None


def test_onboarding_evidence_carries_no_contact_webhook_or_plan():
    data = {"slug": "acme", "contact_email": "ops@acme.example", "webhook_url": "https://hooks.acme.example/x",
            "plan": "enterprise", "cohort": "w1", "reason": "https://hooks.acme.example refused"}  # fmt: skip
    item = stored(event("io.trustportal.tenant.provisioned.v1", data=data))
    assert item is not None and item.body["data"] == {"slug": "acme", "cohort": "w1"}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", json.dumps({"type": "io.trustportal.policy.x"}).encode()])
def test_what_is_not_a_cloud_event_is_refused_for_the_dead_letter_topic(raw):
    with pytest.raises(ValidationError):
        stored(raw)
