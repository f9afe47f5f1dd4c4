from datetime import UTC, datetime

import pytest
from portal_api.authorization import Subject, decide
from portal_api.policy import PolicyBundle, PolicyEngine

NOW = datetime(2026, 11, 27, tzinfo=UTC)
FIELDS = ("display_name", "state", "cohort", "plan", "webhook_url", "contact_email")


@pytest.fixture(scope="module")
def engine():
    return PolicyEngine(PolicyBundle.load())


def test_an_allowed_read_shows_only_the_fields_the_guard_allows_and_records_the_rest(engine):
    auditor = Subject("ana", tenant_roles={"acme": ("auditor",)})
    access = decide(
        engine,
        auditor,
        tenant="acme",
        action="overview:read",
        resource="/tenants/acme/overview",
        resource_tenant="acme",
        now=NOW,
        legal_basis="legitimate_interest",
        purpose="audit",
        fields=FIELDS,
    )
    assert access.allowed
    assert access.fields == {"display_name", "state", "cohort"}
    data = access.fact.data
    assert data.fields_withheld == ("contact_email", "plan", "webhook_url")
    assert data.policy_bundle_sha256 == engine.bundle.sha256 and data.subject == "ana"


def test_a_refused_request_shows_nothing_and_is_recorded_as_refused(engine):
    stranger = Subject("bob", tenant_roles={"beta": ("admin",)})
    access = decide(
        engine,
        stranger,
        tenant="acme",
        action="overview:read",
        resource="/tenants/acme/overview",
        resource_tenant="acme",
        now=NOW,
        fields=FIELDS,
    )
    assert not access.allowed and access.fields == frozenset()
    assert access.fact.data.allowed is False and access.fact.tenantid == "acme"
    assert set(access.fact.data.fields_withheld) == set(FIELDS)


def test_the_tenant_switcher_offers_exactly_the_tenants_with_a_role():
    assert Subject("c", tenant_roles={"beta": ("viewer",), "acme": ("admin",), "gone": ()}).tenants() == [
        "acme",
        "beta",
    ]
