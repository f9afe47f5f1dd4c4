"""The platform's own views across tenants, as plain data: cohorts, SLSA adoption, the evidence SLO.

Read by platform staff only (the actions are the platform tenant's, see policies/authz.rego); every row
still passes the presentation guard (`reads.only`), so a field the policy does not name is never shown.
The figures are folded here from the read models other services keep, nothing is stored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas.read_models import CohortView, SlsaRepoStatus, TenantState, TenantView
from service_kit.quantiles import nearest_rank

from portal_api.authorization import Access
from portal_api.ports import Views
from portal_api.reads import only, withheld
from portal_api.views import EvidencePackView

# The seed's lines: a cohort fails above 10%; a pack is due within 7 minutes (deploy/slo/, the alerts).
FAILURE_LINE = 0.10
TIME_TO_PACK_TARGET_S = 420.0
REJECTIONS_SHOWN = 20
TENANT_COUNTS = ("repos", "l3", "l2", "l1", "l0", "at_l3", "rejected")
# Most severe first: the tenants office hours should look at head the table.
STATE_ORDER = {
    TenantState.VERIFICATION_FAILED: 0,
    TenantState.REJECTED: 1,
    TenantState.PROVISIONED: 2,
    TenantState.ONBOARDED: 3,
}
STATE_LABELS = {
    TenantState.VERIFICATION_FAILED: "Verification failed",
    TenantState.REJECTED: "Rejected",
    TenantState.PROVISIONED: "Verifying",
    TenantState.ONBOARDED: "Verified",
}
EMPTY = {
    "cohorts": "No cohort has onboarded yet. Send one with `trust-portal-onboard --batch tenants.csv --cohort NAME` "
    "(or the intake topic); its progress appears here while it runs.",
    "adoption": "No provenance has been verified for any tenant yet; repositories appear here by Build level once "
    "partners submit provenance.",
    "evidence": "No evidence pack has been built yet; packs appear here with their time to pack.",
}


@dataclass(frozen=True)
class Cohort:
    """One cohort's tenants; its counts are onboarding's own (CohortView), its quantiles folded here."""

    name: str
    tenants: tuple[TenantView, ...]

    def summary(self) -> dict[str, Any]:
        """The cohort's row: the funnel, the failure rate against the line, time-to-first-verify p50/p95."""
        view = CohortView(cohort=self.name, states={t.slug: t.state for t in self.tenants})
        times = [t.time_to_first_verify_s for t in self.tenants if t.time_to_first_verify_s is not None]
        return {
            "cohort": self.name,
            "requested": view.requested,
            "provisioned": view.provisioned,
            "verified": view.verified,
            "failed": view.failed,
            "in_flight": view.pending,
            "failure_rate": view.failure_rate,
            "over_line": view.failure_rate > FAILURE_LINE,
            "ttfv_p50_s": nearest_rank(times, 0.5),
            "ttfv_p95_s": nearest_rank(times, 0.95),
            "last_requested_at": max(t.requested_at for t in self.tenants).isoformat(),
        }

    def members(self, access: Access) -> list[dict[str, Any]]:
        """Its tenants, failures first, each with the fields the guard shows and its state's label."""
        ordered = sorted(self.tenants, key=lambda t: (STATE_ORDER[t.state], t.slug))
        return [{**only(t.model_dump(mode="json"), access), "state_label": STATE_LABELS[t.state]} for t in ordered]


def by_cohort(tenants: Iterable[TenantView]) -> list[Cohort]:
    """Cohorts, newest request first."""
    groups: dict[str, list[TenantView]] = defaultdict(list)
    for tenant in tenants:
        groups[tenant.cohort].append(tenant)
    cohorts = [Cohort(name, tuple(members)) for name, members in groups.items()]
    return sorted(cohorts, key=lambda c: (max(t.requested_at for t in c.tenants), c.name), reverse=True)


async def cohorts(tenants: Views[TenantView], cohort: str | None, access: Access) -> dict[str, Any]:
    """Every cohort's summary, and one cohort (by default the newest) with its tenants."""
    found = by_cohort(await tenants.find({}))
    chosen = next((c for c in found if c.name == cohort), None) if cohort else next(iter(found), None)
    missing = cohort is not None and chosen is None
    return {
        "cohorts": [only(c.summary(), access) for c in found],
        "cohort": None if chosen is None else {**only(chosen.summary(), access), "tenants": chosen.members(access)},
        "failure_line": FAILURE_LINE,
        "withheld": withheld(access),
        "empty": f"No cohort named {cohort}." if missing else None if found else EMPTY["cohorts"],
    }


async def adoption(repos_of: Views[SlsaRepoStatus], target_l3: int, access: Access) -> dict[str, Any]:
    """Repositories by newest verified Build level across tenants, L3 against the target, newest rejections."""
    repos = await repos_of.find({})
    level = Counter(r.verified_level for r in repos)
    at_l3 = sum(1 for r in repos if r.at_l3)
    tenants: dict[str, Counter[str]] = defaultdict(Counter)
    for r in repos:
        row = tenants[r.tenant]
        row["repos"] += 1
        row[f"l{r.verified_level}"] += 1
        row["at_l3"] += r.at_l3
        row["rejected"] += r.last_outcome == "rejected"
    rejected = sorted((r for r in repos if r.last_outcome == "rejected"), key=lambda r: r.updated_at, reverse=True)
    return {
        "repos": len(repos),
        "at_l3": at_l3,
        "target_l3": target_l3,
        "by_level": [{"level": n, "repos": level.get(n, 0)} for n in (3, 2, 1, 0)],
        "tenants": [{"tenant": t, **{k: row.get(k, 0) for k in TENANT_COUNTS}} for t, row in sorted(tenants.items())],
        "rejections": [
            {**only(r.model_dump(mode="json"), access), "tenant": r.tenant} for r in rejected[:REJECTIONS_SHOWN]
        ],
        "withheld": withheld(access),
        "empty": None if repos else EMPTY["adoption"],
    }


def time_to_pack(packs: Iterable[EvidencePackView]) -> dict[str, Any]:
    """Packs, and time-to-pack p50/p95 against the target, of the packs that carry their time."""
    packs = list(packs)
    times = [p.time_to_pack_s for p in packs if p.time_to_pack_s is not None]
    p50, p95 = nearest_rank(times, 0.5), nearest_rank(times, 0.95)
    return {
        "packs": len(packs),
        "timed": len(times),
        "p50_s": p50,
        "p95_s": p95,
        "within_target": sum(1 for t in times if t <= TIME_TO_PACK_TARGET_S),
        "p50_met": p50 is None or p50 <= TIME_TO_PACK_TARGET_S,
    }


async def evidence_slo(packs_of: Views[EvidencePackView], access: Access) -> dict[str, Any]:
    """Time-to-pack p50/p95 against 7 minutes, overall and per period; packs per tenant and period."""
    packs = await packs_of.find({})
    periods: dict[str, list[EvidencePackView]] = defaultdict(list)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for p in packs:
        periods[p.period].append(p)
        counts[p.tenant][p.period] += 1
    names = sorted(periods, reverse=True)
    return {
        "target_s": TIME_TO_PACK_TARGET_S,
        "overall": only(time_to_pack(packs), access),
        "periods": [{"period": name, **only(time_to_pack(periods[name]), access)} for name in names],
        "tenants": [
            {"tenant": t, "by_period": [row.get(n, 0) for n in names], "packs": sum(row.values())}
            for t, row in sorted(counts.items())
        ],
        "withheld": withheld(access),
        "empty": None if packs else EMPTY["evidence"],
    }
