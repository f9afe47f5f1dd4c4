"""The portal projector's handlers on in-memory stores: each event lands once, the newest trust policy wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal_api import handlers
from portal_api.audit import AuditEntry
from portal_api.views import BoardPackView, EvidencePackView, InvoiceEntry, PaymentEntry, TrustPolicyView, UsageEntry
from schemas.audit import AccessDecided, AccessDecidedData
from schemas.billing import UsageRecorded, UsageRecordedData
from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.tenant import PLATFORM_TENANT
from service_kit.testing import InMemoryProjectionStore

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
)


def deps() -> handlers.Deps:
    return handlers.Deps(
        audit=InMemoryProjectionStore[AuditEntry](),
        usage=InMemoryProjectionStore[UsageEntry](),
        invoices=InMemoryProjectionStore[InvoiceEntry](),
        payments=InMemoryProjectionStore[PaymentEntry](),
        board_packs=InMemoryProjectionStore[BoardPackView](),
        evidence_packs=InMemoryProjectionStore[EvidencePackView](),
        trust_policies=InMemoryProjectionStore[TrustPolicyView](),
        verdicts=InMemoryProjectionStore(),
    )


def decision(n: int, *, trail: str = "acme") -> AccessDecided:
    return AccessDecided.create(
        data=AccessDecidedData(
            subject=f"user-{n}", subject_kind="user", tenant="acme", action="overview:read",
            resource="/tenants/acme/overview", allowed=trail == "acme", policy_bundle_sha256="0" * 64,
            legal_basis="contract", purpose="service", decided_at=NOW,
        ),
        source="/tests", tenantid=trail, subject="/tenants/acme/overview", time=NOW,
    )  # fmt: skip


def policy_update(at: datetime, builder: str) -> TrustPolicyUpdated:
    data = TrustPolicyUpdatedData(
        policy_id=f"p-{builder}",
        keys=(TrustedKey(key_id="k1", algorithm="ed25519", public_key_pem=PEM),),
        builders=(TrustedBuilder(id=builder, hardened=True),),
        source_repositories=("github.com/acme/robot",),
        updated_by="ana",
        updated_at=at,
    )
    return TrustPolicyUpdated.create(data=data, source="/tests", tenantid="acme", subject="/tenants/acme", time=at)


async def test_a_redelivered_batch_of_decisions_files_each_decision_once():
    d = deps()
    batch = [decision(n) for n in range(3)]
    assert await handlers.on_access_decided(batch, d) == 3
    assert await handlers.on_access_decided(batch, d) == 0
    assert len(d.audit.docs) == 3  # type: ignore[attr-defined]


async def test_a_strangers_refusal_is_listed_in_the_platform_trail_with_the_tenant_it_asked_for():
    d = deps()
    await handlers.on_access_decided([decision(1, trail=PLATFORM_TENANT)], d)
    [entry] = d.audit.docs.values()  # type: ignore[attr-defined]
    assert (entry.tenant, entry.asked_tenant, entry.allowed) == (PLATFORM_TENANT, "acme", False)


async def test_a_usage_batch_is_counted_once_however_often_it_is_delivered():
    d = deps()
    event = UsageRecorded.create(
        data=UsageRecordedData(
            meter="api_calls", quantity=7, period="2026-12", window_start=NOW, window_end=NOW, recorded_by="api-1"
        ),
        source="/tests", tenantid="acme", subject="/tenants/acme/usage/api_calls", time=NOW,
    )  # fmt: skip
    await handlers.on_billing(event, d)
    await handlers.on_billing(event, d)
    assert [u.quantity for u in d.usage.docs.values()] == [7]  # type: ignore[attr-defined]


async def test_the_newest_trust_policy_wins_and_an_older_one_arriving_late_changes_nothing():
    d = deps()
    await handlers.on_policy(policy_update(NOW, "https://ci.example/new"), d)
    await handlers.on_policy(policy_update(NOW - timedelta(hours=1), "https://ci.example/old"), d)
    [view] = d.trust_policies.docs.values()  # type: ignore[attr-defined]
    assert [b.id for b in view.builders] == ["https://ci.example/new"]
    await handlers.on_policy(policy_update(NOW + timedelta(minutes=1), "https://ci.example/newer"), d)
    [view] = d.trust_policies.docs.values()  # type: ignore[attr-defined]
    assert [b.id for b in view.builders] == ["https://ci.example/newer"]
