"""What the board pack's pages say: the BoardPack's figures as the text and tables Typst lays out (pure)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from schemas.revenue import MrrSummary

from board.money import shown
from board.pack import BoardPack


def percent(value: float | None, digits: int = 2) -> str:
    """A share as a percentage, or "no data"."""
    return "no data" if value is None else f"{100 * value:.{digits}f}%"


def amounts(by_currency: dict[str, int]) -> str:
    """Amounts in several currencies, never summed: `€1,990.00 · $500.00`."""
    return " · ".join(shown(v, c) for c, v in sorted(by_currency.items())) or "none"


def movements(m: MrrSummary) -> str:
    """`+€1,500.00 in, -€490.00 out` from the month before (or `unchanged`)."""
    gained = m.new_minor + m.reactivation_minor + m.expansion_minor
    lost = m.contraction_minor + m.churned_minor
    if not gained and not lost:
        return f"{m.currency} unchanged from the month before"
    return f"+{shown(gained, m.currency)} new and expansion, -{shown(lost, m.currency)} contraction and churn"


def cards(pack: BoardPack) -> list[dict[str, str]]:
    """The headline figures: label, value, and what it is measured against."""
    h, sla = pack.headline, pack.sla
    mrr = {m.currency: m.mrr_minor for m in h.mrr}
    moves = "; ".join(movements(m) for m in h.mrr)
    return [
        {"label": "Verified releases", "value": f"{h.north_star_verified_releases:,}",
         "note": "north star: provenance-verified releases in the period"},
        {"label": "Evidence coverage", "value": percent(h.evidence_coverage, 0),
         "note": f"{h.tenants_with_pack} of {h.active_tenants} active partners with a ledgered pack"},
        {"label": "Portal availability", "value": percent(h.availability, 3),
         "note": f"objective {percent(sla.objective)}: {sla.state}; {sla.unknown_minutes:,} min without probes"},
        {"label": "Error budget burned", "value": f"{h.budget_burned_pct:.1f}%",
         "note": f"{sla.bad_minutes} of {sla.budget_minutes:.1f} budget minutes"},
        {"label": "Probe latency p95", "value": "no data" if h.probe_p95_ms is None else f"{h.probe_p95_ms:.0f} ms",
         "note": "slowest target, from outside the platform"},
        {"label": "Partners", "value": f"{h.partners_onboarded} onboarded",
         "note": f"{h.partners_in_progress} in progress"},
        {"label": "Repositories at SLSA L3", "value": f"{h.repos_at_l3}",
         "note": f"target {h.l3_target} at SLSA Build L3: {'met' if h.repos_at_l3 >= h.l3_target else 'not yet'}"},
        {"label": "Revenue invoiced MTD", "value": amounts(h.revenue_mtd), "note": f"{pack.revenue[-1].period}"},
        {"label": f"MRR {h.mrr_month or ''}".strip(), "value": amounts(mrr) if mrr else "no invoices yet",
         "note": moves or "movements: none"},
    ]  # fmt: skip


def revenue_tables(pack: BoardPack) -> list[dict[str, Any]]:
    """Per month of the window: the tenants' lines and the reconciliation issues."""
    out = []
    for report in pack.revenue:
        rows = [
            [t.tenant, t.plan or "-", t.movement,
             *(shown(v, t.currency) for v in (t.mrr_minor, t.invoiced_minor, t.collected_minor, t.outstanding_minor))]
            for t in report.tenants
        ]  # fmt: skip
        aged = [[a.currency, *(shown(a.buckets[b], a.currency) for b in ("0-30", "31-60", "61-90", "90+")),
                 shown(a.overdue_minor, a.currency)] for a in report.outstanding]  # fmt: skip
        issues = [[i.kind, i.tenant, i.invoice_id, i.payment_id or "-", i.reason] for i in report.issues]
        out.append({"period": report.period, "as_of": f"{report.as_of:%Y-%m-%d %H:%M} UTC", "tenants": rows,
                    "ageing": aged, "issues": issues, "collected": amounts({a.currency: a.amount_minor
                                                                            for a in report.collected})})  # fmt: skip
    return out


def view(pack: BoardPack) -> dict[str, Any]:
    """Everything the template prints, as strings and rows."""
    sla = pack.sla
    return {
        "title": f"Board pack {pack.period}",
        "window": f"{pack.start:%-d %B %Y} \N{EN DASH} {pack.end - timedelta(seconds=1):%-d %B %Y} (UTC)",
        "cards": cards(pack),
        "revenue": revenue_tables(pack),
        "sla": [
            ["availability (minutes)", percent(sla.availability_minutes, 3)],
            ["availability (probes)", percent(sla.availability_probes, 3)],
            [
                "minutes good / bad / without probes",
                f"{sla.good_minutes:,} / {sla.bad_minutes:,} / {sla.unknown_minutes:,}",
            ],
            ["probes (failed)", f"{sla.probes:,} ({sla.failed_probes:,})"],
            ["error budget", f"{sla.budget_minutes:.1f} minutes"],
            ["budget burned", f"{sla.budget_burned_pct:.1f}%"],
            ["burn rate", "no data" if sla.burn_rate is None else f"{sla.burn_rate:.2f}x"],
        ]
        + [
            [
                f"{t.target} latency p50 / p95",
                "no data" if t.latency_p50_ms is None else f"{t.latency_p50_ms:.0f} ms / {t.latency_p95_ms:.0f} ms",
            ]
            for t in sla.targets
        ],
        "incidents": [
            [
                f"{i.start:%Y-%m-%d %H:%M}",
                "ongoing" if i.ongoing else f"{i.end:%Y-%m-%d %H:%M}",
                f"{i.duration_s / 60:.1f} min",
                ", ".join(i.targets),
                i.first_error,
            ]
            for i in sla.incidents
        ],
        "partners": [[p.tenant, p.display_name, p.cohort, p.state, p.design_partner or "-"] for p in pack.partners],
        "bundles": [[b.bundle, b.version, f"{b.published_at:%Y-%m-%d %H:%M}", b.sha256] for b in pack.bundles],
        "packs": [[p.tenant, p.period, str(p.ledger_index), p.sha256] for p in pack.packs],
        "tree_head": None
        if pack.tree_head is None
        else {
            "size": str(pack.tree_head.get("tree_size", "")),
            "root": str(pack.tree_head.get("root_hash", "")),
            "signature": str(pack.tree_head.get("signature", ""))[:88],
        },
        "links": [[name, url] for name, url in sorted(pack.links.items())],
    }
