"""The board pack's contents for a window, from the board's projections: pure, deterministic.

Every figure the PDF prints is here (and embedded in the PDF as JSON), so a reader can check the pack
without the platform and a test can compare the printed text with the projections.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schemas.envelope import Contract
from schemas.revenue import MrrSummary, RevenueReport
from service_kit.periods import Period

from board.facts import Fact
from board.revenue import Invoice, Payment, mrr_lines, previous_month, revenue_report
from board.sla import Day, Probe, SlaReport, sla_with_days
from board.windows import Window

L3_TARGET = 8
EVERYTHING = datetime(9999, 1, 1, tzinfo=UTC)
"""MRR reads every invoice on record: a month's invoices go out after it (in arrears)."""


class Partner(Contract):
    """A partner's standing at the window's end."""

    tenant: str
    display_name: str
    cohort: str
    state: str
    design_partner: str | None


class Release(Contract):
    """Releases verified in the window, by SLSA Build level."""

    verified: int
    rejected: int
    by_level: dict[str, int]


class RepoLevel(Contract):
    """A repository's newest verified level by the window's end."""

    tenant: str
    repo: str
    build_level: int


class LedgeredPack(Contract):
    """An evidence pack of the window, with where it sits in the ledger."""

    tenant: str
    period: str
    pack_id: str
    sha256: str
    ledger_index: int
    tree_size: int


class Bundle(Contract):
    """A policy bundle in force during the window."""

    bundle: str
    version: str
    sha256: str
    published_at: datetime


class MrrMonth(Contract):
    """MRR of one month, per currency (for the chart)."""

    month: str
    mrr_minor: dict[str, int]


class Headline(Contract):
    """The first page's figures."""

    north_star_verified_releases: int
    evidence_coverage: float | None
    tenants_with_pack: int
    active_tenants: int
    availability: float | None
    budget_burned_pct: float
    probe_p95_ms: float | None
    partners_onboarded: int
    partners_in_progress: int
    repos_at_l3: int
    l3_target: int
    revenue_mtd: dict[str, int]
    mrr_month: str | None
    mrr: tuple[MrrSummary, ...]


class BoardPack(Contract):
    """Everything the board pack shows, for one window."""

    period: str
    start: datetime
    end: datetime
    headline: Headline
    revenue: tuple[RevenueReport, ...]
    mrr_history: tuple[MrrMonth, ...]
    sla: SlaReport
    days: tuple[Day, ...]
    releases: Release
    repos: tuple[RepoLevel, ...]
    partners: tuple[Partner, ...]
    funnel: dict[str, int]
    packs: tuple[LedgeredPack, ...]
    bundles: tuple[Bundle, ...]
    tree_head: dict[str, object] | None
    links: dict[str, str]


def partners(facts: list[Fact], end: datetime, design: dict[str, str]) -> list[Partner]:
    """Each tenant provisioned by `end`, onboarded or still in progress; design-partner status from configuration."""
    provisioned = {f.tenant: f for f in facts if f.kind == "tenant-provisioned" and f.at < end}
    onboarded = {f.tenant for f in facts if f.kind == "tenant-onboarded" and f.at < end}
    return [
        Partner(tenant=t, display_name=str(f.data.get("display_name") or t), cohort=str(f.data.get("cohort", "")),
                state="onboarded" if t in onboarded else "in progress", design_partner=design.get(t))
        for t, f in sorted(provisioned.items())
    ]  # fmt: skip


def funnel(facts: list[Fact], window: Window) -> dict[str, int]:
    """Partners of the window: provisioned, onboarded, rejected (requests refused)."""
    seen = [f for f in facts if window.contains(f.at)]
    return {
        "provisioned": sum(1 for f in seen if f.kind == "tenant-provisioned"),
        "onboarded": sum(1 for f in seen if f.kind == "tenant-onboarded"),
        "rejected": sum(1 for f in seen if f.kind == "tenant-rejected"),
    }


def repo_levels(facts: list[Fact], end: datetime) -> list[RepoLevel]:
    """Each repository's level from its newest verified release before `end`."""
    newest: dict[tuple[str, str], Fact] = {}
    for f in sorted((f for f in facts if f.kind == "release-verified" and f.at < end), key=lambda f: (f.at, f.id)):
        newest[(f.tenant, str(f.data["repo"]))] = f
    return [RepoLevel(tenant=t, repo=r, build_level=int(f.data["build_level"])) for (t, r), f in sorted(newest.items())]


def bundles_in_force(facts: list[Fact], window: Window) -> list[Bundle]:
    """The bundle in force when the window opened (per bundle name) and every one published during it."""
    published = sorted((f for f in facts if f.kind == "bundle-published" and f.at < window.end), key=lambda f: f.at)
    before: dict[str, Fact] = {}
    during: list[Fact] = []
    for f in published:
        if f.at < window.start:
            before[str(f.data["bundle"])] = f
        else:
            during.append(f)
    return [
        Bundle(bundle=str(f.data["bundle"]), version=str(f.data["version"]), sha256=str(f.data["sha256"]),
               published_at=f.at)
        for f in [*sorted(before.values(), key=lambda f: f.at), *during]
    ]  # fmt: skip


def mrr_history(invoices: list[Invoice], last: Period, months: int = 12) -> list[MrrMonth]:
    """MRR per currency for the `months` months ending with `last`."""
    series: list[Period] = [last]
    while len(series) < months:
        series.insert(0, previous_month(series[0]))
    history = []
    for month in series:
        _, totals = mrr_lines(invoices, month)
        history.append(MrrMonth(month=str(month), mrr_minor={m.currency: m.mrr_minor for m in totals}))
    return history


@dataclass(frozen=True)
class Sources:
    """What the board has folded: invoices, payments, probe results and the platform's facts."""

    invoices: list[Invoice]
    payments: list[Payment]
    probes: list[Probe]
    facts: list[Fact]


@dataclass(frozen=True)
class PackSettings:
    """What the pack takes from configuration."""

    portal_url: str
    release_tag_url: str
    design_partners: dict[str, str] = field(default_factory=dict)
    terms_days: int = 30


def records_until(sources: Sources, window: Window) -> datetime:
    """How far the platform's records reach into `window`: its end once anything on record is later.

    A pack of a month still under way reports its SLA up to the newest record (the minute under way
    counts), not the minutes still to come as "without probes"; derived from the events, so the same
    events give the same pack whenever it is built. The ledger's receipts for board packs (anchored)
    are not records the pack reports on: building a pack never changes the next build of it.
    """
    newest = max(
        [p.probed_at for p in sources.probes] + [f.at for f in sources.facts if f.kind != "anchored"]
        + [i.data.issued_at for i in sources.invoices] + [p.data.received_at for p in sources.payments],
        default=window.start,
    )  # fmt: skip
    return min(window.end, newest + timedelta(seconds=1))


def board_pack(window: Window, sources: Sources, config: PackSettings) -> BoardPack:
    """The pack of `window`: money as of its end, MRR from every invoice on record, the rest as of its end."""
    invoices, payments, probes, facts = sources.invoices, sources.payments, sources.probes, sources.facts
    terms_days = config.terms_days
    revenue = [
        revenue_report(invoices, payments, month, min(window.end, month.end), terms_days=terms_days,
                       mrr_until=EVERYTHING)
        for month in window.months
    ]  # fmt: skip
    with_mrr = [r for r in revenue if r.invoices_for_period]
    mrr_report = with_mrr[-1] if with_mrr else None
    sla, days = sla_with_days(probes, window, records_until(sources, window))
    p95 = [t.latency_p95_ms for t in sla.targets if t.latency_p95_ms is not None]
    people = partners(facts, window.end, config.design_partners)
    active = {p.tenant for p in people if p.state == "onboarded"}
    months = {str(m) for m in window.months}
    packs = sorted(
        (LedgeredPack(tenant=f.tenant, period=str(f.data["period"]), pack_id=str(f.data["pack_id"]),
                      sha256=str(f.data["sha256"]), ledger_index=int(f.data["ledger_index"]),
                      tree_size=int(f.data["tree_size"]))
         for f in facts if f.kind == "pack-built" and str(f.data["period"]) in months),
        key=lambda p: (p.period, p.tenant, p.ledger_index),
    )  # fmt: skip
    covered = {p.tenant for p in packs} & active
    # A month's evidence packs are built once it is over: the window's packs, whenever built, and the newest
    # tree head that holds them all.
    heads = [f for f in facts if f.kind == "pack-built" and (f.at < window.end or str(f.data["period"]) in months)]
    newest_head = max(heads, key=lambda f: int(f.data["tree_size"])).data.get("tree_head") if heads else None
    verified = [f for f in facts if f.kind == "release-verified" and window.contains(f.at)]
    by_level: dict[str, int] = defaultdict(int)
    for f in verified:
        by_level[f"L{f.data['build_level']}"] += 1
    repos = repo_levels(facts, window.end)
    last_month = revenue[-1]
    headline = Headline(
        north_star_verified_releases=len(verified),
        evidence_coverage=len(covered) / len(active) if active else None,
        tenants_with_pack=len(covered),
        active_tenants=len(active),
        availability=sla.availability_minutes,
        budget_burned_pct=sla.budget_burned_pct,
        probe_p95_ms=max(p95) if p95 else None,
        partners_onboarded=len(active),
        partners_in_progress=sum(1 for p in people if p.state == "in progress"),
        repos_at_l3=sum(1 for r in repos if r.build_level == 3),
        l3_target=L3_TARGET,
        revenue_mtd={a.currency: a.amount_minor for a in last_month.invoiced},
        mrr_month=mrr_report.period if mrr_report else None,
        mrr=mrr_report.mrr if mrr_report else (),
    )
    return BoardPack(
        period=window.label,
        start=window.start,
        end=window.end,
        headline=headline,
        revenue=tuple(revenue),
        mrr_history=tuple(mrr_history(invoices, window.months[-1])),
        sla=sla,
        days=tuple(days),
        releases=Release(verified=len(verified), rejected=sum(1 for f in facts if f.kind == "release-rejected"
                                                              and window.contains(f.at)), by_level=dict(by_level)),
        repos=tuple(repos),
        partners=tuple(people),
        funnel=funnel(facts, window),
        packs=tuple(packs),
        bundles=tuple(bundles_in_force(facts, window)),
        tree_head=newest_head if isinstance(newest_head, dict) else None,
        links=links(config.portal_url, config.release_tag_url, packs),
    )  # fmt: skip


def links(portal_url: str, release_tag_url: str, packs: Iterable[LedgeredPack]) -> dict[str, str]:
    """The pack's links: the portal, each covered tenant's evidence page, the newest tree head, the release tag."""
    base = portal_url.rstrip("/")
    found = {"Trust Portal": f"{base}/ui", "release tag": release_tag_url}
    packs = list(packs)
    for p in packs:
        found[f"evidence packs of {p.tenant}"] = f"{base}/ui/tenants/{p.tenant}/evidence"
    if packs:
        newest = max(packs, key=lambda p: p.tree_size)
        found["ledger: newest signed tree head"] = (
            f"{base}/ui/tenants/{newest.tenant}/evidence-packs/{newest.pack_id}/files/tree-head"
        )
    return found
