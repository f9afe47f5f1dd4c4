from datetime import UTC, datetime

import pytest
from portal_api.authorization import Subject
from portal_api.policy import PolicyBundle, PolicyEngine, decide

NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine():
    return PolicyEngine(PolicyBundle.load())


def test_an_allowed_read_shows_only_the_fields_the_guard_allows_and_records_the_rest(engine):
    auditor = Subject("ana", tenant_roles={"acme": ("auditor",)})
    access = decide(engine, auditor, tenant="acme", action="overview:read", resource="/tenants/acme/overview", now=NOW)
    assert access.allowed
    assert access.fields == {"display_name", "state", "cohort"}
    data = access.fact.data
    assert data.fields_withheld == ("contact_email", "plan", "webhook_url")
    assert (data.legal_basis, data.purpose) == ("legitimate_interest", "audit")  # decided by the bundle's data
    assert data.policy_bundle_sha256 == engine.bundle.sha256 and data.subject == "ana"


def test_a_refused_request_shows_nothing_and_is_recorded_as_refused(engine):
    stranger = Subject("bob", tenant_roles={"beta": ("admin",)})
    access = decide(engine, stranger, tenant="acme", action="overview:read", resource="/tenants/acme/overview", now=NOW)
    assert not access.allowed and access.fields == frozenset()
    assert access.fact.data.allowed is False and access.fact.tenantid == "acme"
    assert set(access.fact.data.fields_withheld) == {
        "display_name", "state", "cohort", "plan", "webhook_url", "contact_email",
    }  # fmt: skip


def test_a_resource_of_another_tenant_is_refused_under_the_own_path(engine):
    admin = Subject("ana", tenant_roles={"acme": ("admin",)})
    own = decide(engine, admin, tenant="acme", action="apikey:revoke", resource="/k", now=NOW, owner="acme")
    other = decide(engine, admin, tenant="acme", action="apikey:revoke", resource="/k", now=NOW, owner="beta")
    assert own.allowed and not other.allowed


def test_a_key_role_beyond_the_creators_own_actions_is_refused(engine):
    root = Subject("root", platform_roles=("platform-admin",))
    admin = Subject("ana", tenant_roles={"acme": ("admin",)})
    for role in ("engineer", "viewer"):
        attributes = {"key_role": role}
        assert decide(engine, admin, tenant="acme", action="apikey:create", resource="/k", now=NOW,
                      attributes=attributes).allowed  # fmt: skip
        assert not decide(engine, root, tenant="acme", action="apikey:create", resource="/k", now=NOW,
                          attributes=attributes).allowed  # fmt: skip


def test_strangers_are_not_members_and_platform_staff_are(engine):
    assert not Subject("bob", tenant_roles={"beta": ("admin",)}).member_of("acme")
    assert Subject("ceo", platform_roles=("executive",)).member_of("acme")
    assert Subject("ana", tenant_roles={"acme": ("viewer",)}).member_of("acme")


def test_the_tenant_switcher_offers_exactly_the_tenants_with_a_role():
    assert Subject("c", tenant_roles={"beta": ("viewer",), "acme": ("admin",), "gone": ()}).tenants() == [
        "acme",
        "beta",
    ]
