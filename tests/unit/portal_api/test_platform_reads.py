"""The platform's Cohorts, SLSA adoption and Evidence SLO reads, on in-memory stores: the figures a cohort,
an adoption count or a time-to-pack quantile must come to, and only the fields the guard shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

import pytest
from portal_api import platform_reads
from portal_api.authorization import Access
from portal_api.views import EvidencePackView
from schemas.read_models import SlsaRepoStatus, TenantState, TenantView
from service_kit.testing import InMemoryProjectionStore

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
COHORT_FIELDS = frozenset({"cohort", "requested", "provisioned", "verified", "failed", "in_flight", "failure_rate",
                           "over_line", "ttfv_p50_s", "ttfv_p95_s", "last_requested_at", "slug", "state",
                           "attempts", "failure_reason", "time_to_first_verify_s"})  # fmt: skip


def access(fields: frozenset[str]) -> Access:
    return Access(allowed=True, fields=fields, withheld=frozenset({"contact_email"}), fact=cast(Any, None))


def tenant(slug: str, cohort: str, state: TenantState, *, ttfv: float | None = None, minutes: int = 0,
           reason: str | None = None) -> TenantView:  # fmt: skip
    return TenantView(slug=slug, cohort=cohort, state=state, request_id=f"r-{slug}", contact_email=f"{slug}@x.test",
                      requested_at=NOW + timedelta(minutes=minutes), time_to_first_verify_s=ttfv,
                      failure_reason=reason, attempts=3 if reason else 1)  # fmt: skip


async def stored_tenants(*views: TenantView) -> InMemoryProjectionStore[TenantView]:
    store = InMemoryProjectionStore[TenantView]()
    for v in views:
        await store.save(v.slug, v)
    return store


async def test_a_cohort_counts_its_funnel_and_failure_rate_against_the_line_failures_first():
    store = await stored_tenants(
        *(tenant(f"ok{n}", "nov", TenantState.ONBOARDED, ttfv=float(n + 1), minutes=n) for n in range(7)),
        tenant("dead", "nov", TenantState.VERIFICATION_FAILED, reason="connect: refused", minutes=8),
        tenant("bad", "nov", TenantState.REJECTED, reason="webhook_url: not https", minutes=9),
        tenant("slow", "nov", TenantState.PROVISIONED, minutes=10),
        tenant("old", "oct", TenantState.ONBOARDED, ttfv=3.0, minutes=-60 * 24 * 30),
    )
    found = await platform_reads.cohorts(store, None, access(COHORT_FIELDS))
    assert [c["cohort"] for c in found["cohorts"]] == ["nov", "oct"]  # newest first, the newest shown
    nov = found["cohort"]
    assert (nov["requested"], nov["provisioned"], nov["verified"], nov["failed"], nov["in_flight"]) == (10, 9, 7, 2, 1)
    assert nov["failure_rate"] == pytest.approx(0.2) and nov["over_line"] is True
    assert (nov["ttfv_p50_s"], nov["ttfv_p95_s"]) == (4.0, 7.0)  # nearest rank of 1..7
    assert [t["slug"] for t in nov["tenants"][:3]] == ["dead", "bad", "slow"]
    assert nov["tenants"][0]["failure_reason"] == "connect: refused" and nov["tenants"][0]["attempts"] == 3
    assert all("contact_email" not in t and "webhook_url" not in t for t in nov["tenants"])
    oct_ = next(c for c in found["cohorts"] if c["cohort"] == "oct")
    assert oct_["over_line"] is False and oct_["failure_rate"] == 0


async def test_a_cohort_can_be_chosen_and_an_unknown_one_says_so():
    store = await stored_tenants(tenant("a1", "nov", TenantState.ONBOARDED), tenant("b1", "oct", TenantState.ONBOARDED))
    chosen = await platform_reads.cohorts(store, "oct", access(COHORT_FIELDS))
    assert chosen["cohort"]["cohort"] == "oct" and [t["slug"] for t in chosen["cohort"]["tenants"]] == ["b1"]
    missing = await platform_reads.cohorts(store, "nope", access(COHORT_FIELDS))
    assert missing["cohort"] is None and missing["empty"] == "No cohort named nope."
    nothing = await platform_reads.cohorts(InMemoryProjectionStore[TenantView](), None, access(COHORT_FIELDS))
    assert nothing["cohorts"] == [] and "trust-portal-onboard --batch" in nothing["empty"]


Outcome = Literal["verified", "rejected"]


def repo(tenant: str, name: str, level: int, outcome: Outcome = "verified", *, verified: bool = True,
         minutes: int = 0, reasons: tuple[str, ...] = ()) -> SlsaRepoStatus:  # fmt: skip
    return SlsaRepoStatus(tenant=tenant, repo=name, build_level=level, last_outcome=outcome,
                          last_verified_at=NOW if verified else None, last_reasons=reasons,
                          updated_at=NOW + timedelta(minutes=minutes), builder_id="secret-builder")  # fmt: skip


async def test_adoption_counts_levels_across_tenants_and_lists_the_newest_rejections():
    store = InMemoryProjectionStore[SlsaRepoStatus]()
    rows = [repo("acme", "a/one", 3), repo("acme", "a/two", 3, "rejected", minutes=5, reasons=("builder not trusted",)),
            repo("beta", "b/one", 2), repo("beta", "b/two", 0, "rejected", verified=False, minutes=9,
                                             reasons=("signature does not verify",)),
            repo("beta", "b/three", 3)]  # fmt: skip
    for r in rows:
        await store.save(SlsaRepoStatus.key(r.tenant, r.repo), r)
    found = await platform_reads.adoption(store, 8, access(frozenset({"repo", "last_reasons", "updated_at"})))
    # a/two keeps L3 as its level but does not count: its newest submission was rejected
    assert (found["repos"], found["at_l3"], found["target_l3"]) == (5, 2, 8)
    assert found["by_level"] == [{"level": 3, "repos": 3}, {"level": 2, "repos": 1}, {"level": 1, "repos": 0},
                                 {"level": 0, "repos": 1}]  # fmt: skip
    assert [(t["tenant"], t["repos"], t["at_l3"], t["rejected"]) for t in found["tenants"]] == [
        ("acme", 2, 1, 1), ("beta", 3, 1, 1)]  # fmt: skip
    assert [(r["tenant"], r["repo"]) for r in found["rejections"]] == [("beta", "b/two"), ("acme", "a/two")]
    assert found["rejections"][0]["last_reasons"] == ["signature does not verify"]
    assert all("builder_id" not in r for r in found["rejections"])


def pack(tenant: str, period: str, n: int, seconds: float | None) -> EvidencePackView:
    return EvidencePackView(tenant=tenant, pack_id=f"p-{tenant}-{period}-{n}", sha256="a" * 64, item_count=1,
                            ledger_index=n, built_at=NOW, period=period, time_to_pack_s=seconds)  # fmt: skip


async def test_evidence_slo_takes_time_to_pack_quantiles_against_seven_minutes_per_period_and_tenant():
    store = InMemoryProjectionStore[EvidencePackView]()
    packs = [pack("acme", "2026-11", n, s) for n, s in enumerate((60.0, 120.0, 400.0, 500.0))]
    packs += [pack("beta", "2026-11", 9, 30.0), pack("beta", "2026-10", 10, 600.0), pack("beta", "2026-10", 11, None)]
    for p in packs:
        await store.save(p.pack_id, p)
    fields = frozenset({"packs", "timed", "p50_s", "p95_s", "within_target", "p50_met"})
    found = await platform_reads.evidence_slo(store, access(fields))
    overall = found["overall"]
    assert (overall["packs"], overall["timed"], overall["p50_s"], overall["p95_s"]) == (7, 6, 120.0, 600.0)
    assert overall["within_target"] == 4 and overall["p50_met"] is True
    assert [(p["period"], p["packs"], p["p50_s"]) for p in found["periods"]] == [("2026-11", 5, 120.0),
                                                                                 ("2026-10", 2, 600.0)]  # fmt: skip
    assert found["periods"][1]["p50_met"] is False
    assert found["tenants"] == [{"tenant": "acme", "by_period": [4, 0], "packs": 4},
                                {"tenant": "beta", "by_period": [1, 2], "packs": 3}]  # fmt: skip
    hidden = await platform_reads.evidence_slo(store, access(frozenset({"packs"})))
    assert hidden["overall"] == {"packs": 7}
