"""What each tab shows, tenant-scoped, as plain data: the JSON API and the web UI render the same reads.

Every query filters on the tenant it was authorized for, and every field shown passes the presentation
guard: each read takes the Access its request was granted and keeps only the fields it shows.
Nothing here decides access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.read_models import SlsaRepoStatus, TenantView
from schemas.revenue import InvoiceStatus, RevenueReport

from portal_api.audit import AuditEntry
from portal_api.authorization import Access
from portal_api.members import Member
from portal_api.ports import Clock, Views
from portal_api.views import (
    BoardPackView,
    EvidencePackView,
    InvoiceEntry,
    PaymentEntry,
    TrustPolicyView,
    UsageEntry,
    VerdictView,
    usage_by_period,
)

EMPTY = {
    "slsa": "No provenance has been verified for this tenant yet. Submit provenance from your CI "
    "(POST /api/v1/tenants/{tenant}/provenance) and register a trust policy; verified repositories appear here.",
    "evidence": "No evidence pack has been built for this tenant yet. Request one "
    "(POST /api/v1/tenants/{tenant}/evidence-packs); built packs appear here with their ledger index.",
    "usage": "No metered usage recorded for this tenant yet.",
    "invoices": "No invoice has been issued for this tenant yet.",
    "audit": "No access decisions recorded for this tenant yet.",
    "board": "No board pack has been built yet. Build one with `board build --period YYYY-MM` (or wait for the "
    "monthly CronJob); built and refused packs appear here with their completeness report.",
    "revenue": "No revenue report yet: the board makes one per month once invoices are issued "
    "(`trust-portal-admin bill --period YYYY-MM`).",
}


def only(row: Mapping[str, Any], access: Access, prefix: str = "") -> dict[str, Any]:
    """The fields of `row` the presentation guard shows (named `prefix` + field in the policy).

    Default deny: a field the policy does not name for the view is never shown.
    """
    return {k: v for k, v in row.items() if f"{prefix}{k}" in access.fields}


def withheld(access: Access) -> list[str]:
    """The view's fields the guard withholds from this reader (names, never values)."""
    return sorted(access.withheld)


def empty(kind: str, tenant: str) -> str:
    """The empty-state message of a view."""
    return EMPTY[kind].replace("{tenant}", tenant)


async def overview(tenants: Views[TenantView], tenant: str, access: Access) -> dict[str, Any]:
    """Onboarding state, webhook state and cohort, with only the fields the guard allows."""
    view = await tenants.get(tenant)
    data = {} if view is None else only(view.model_dump(mode="json"), access)
    return {"tenant": tenant, "onboarding": data or None, "withheld": withheld(access)}


async def slsa_map(
    repos_of: Views[SlsaRepoStatus], policies: Views[TrustPolicyView], tenant: str, access: Access
) -> dict[str, Any]:
    """Each repository's SLSA build level and the organisation's own checks, and the trust policy."""
    repos = await repos_of.find({"tenant": tenant})
    policy = await policies.get(tenant)
    rows = [only(r.model_dump(mode="json"), access) for r in sorted(repos, key=lambda r: r.repo)]
    return {
        "tenant": tenant,
        "repos": rows,
        "at_l3": sum(1 for r in repos if r.at_l3),
        "trust_policy": None if policy is None else only(policy.model_dump(mode="json"), access, "trust_policy."),
        "withheld": withheld(access),
        "empty": None if rows else empty("slsa", tenant),
    }


async def verdict(verdicts: Views[VerdictView], tenant: str, submission_id: str, access: Access) -> dict[str, Any]:
    """A submission's verdict, or `pending` while slsa-watch has not judged it.

    An id no verdict of this tenant carries is `pending` too: another tenant's id reveals nothing.
    """
    found = await verdicts.get(submission_id)
    if found is None or found.tenant != tenant:
        return {"tenant": tenant, "submission_id": submission_id, "status": "pending", "withheld": withheld(access)}
    row = only(found.model_dump(mode="json"), access)
    return {**row, "tenant": tenant, "submission_id": submission_id, "status": found.status,
            "withheld": withheld(access)}  # fmt: skip


async def evidence_packs(packs_of: Views[EvidencePackView], tenant: str, access: Access) -> dict[str, Any]:
    """Built evidence packs, newest first."""
    packs = await packs_of.find({"tenant": tenant})
    newest = sorted(packs, key=lambda p: p.built_at, reverse=True)
    rows = [only(p.model_dump(mode="json"), access) for p in newest]
    return {
        "tenant": tenant,
        "packs": rows,
        "withheld": withheld(access),
        "empty": None if rows else empty("evidence", tenant),
    }


@dataclass(frozen=True)
class Ledger:
    """A tenant's money on record: its invoices and the payments against them."""

    invoices: Views[InvoiceEntry]
    payments: Views[PaymentEntry]
    terms_days: int
    clock: Clock


async def finance(usage_of: Views[UsageEntry], ledger: Ledger, tenant: str, access: Access) -> dict[str, Any]:
    """Usage by meter and period, and invoices (amounts and payment status only where the guard allows).

    An invoice's standing (paid, partial, outstanding, overdue) counts the tenant's payments against it in
    its currency, by the same rule as the board's revenue report (schemas.revenue.InvoiceStatus).
    """
    shown = access.fields
    usage = usage_by_period(await usage_of.find({"tenant": tenant})) if "usage" in shown else []
    found = await ledger.invoices.find({"tenant": tenant}) if "invoices" in shown else []
    amounts = "invoice_amount" in shown
    paid: dict[str, int] = {}
    now = ledger.clock()
    if "payments" in shown and found:
        currency = {i.invoice_id: i.currency for i in found}
        for p in await ledger.payments.find({"tenant": tenant, "invoice_id": {"$in": list(currency)}}):
            if currency[p.invoice_id] == p.currency:
                paid[p.invoice_id] = paid.get(p.invoice_id, 0) + p.amount_minor
    invoices = []
    for entry in sorted(found, key=lambda i: i.period, reverse=True):
        row = entry.model_dump(mode="json", exclude={"tenant"})
        if "payments" in shown:
            standing = InvoiceStatus.of(tenant, entry, paid.get(entry.invoice_id, 0), now, ledger.terms_days)
            due_at = entry.issued_at + timedelta(days=ledger.terms_days)
            row["payment"] = {"status": standing.label, "paid_minor": standing.paid_minor,
                              "due_minor": standing.due_minor, "due_at": due_at.isoformat()}  # fmt: skip
        if not amounts:
            row.pop("total_minor")
            row["lines"] = [{k: v for k, v in line.items() if not k.endswith("_minor")} for line in row["lines"]]
            if "payment" in row:
                row["payment"] = {"status": row["payment"]["status"], "due_at": row["payment"]["due_at"]}
        invoices.append(row)
    return {
        "tenant": tenant,
        "usage": [u.model_dump(mode="json") for u in usage],
        "invoices": invoices,
        "withheld": withheld(access),
        "empty_usage": None if usage else empty("usage", tenant),
        "empty_invoices": None if invoices else empty("invoices", tenant),
    }


async def board_packs(packs_of: Views[BoardPackView], access: Access) -> dict[str, Any]:
    """Every board pack built or refused, newest period first (the platform's view)."""
    packs = sorted(await packs_of.find({}), key=lambda p: (p.at, p.period), reverse=True)
    rows = [only(p.model_dump(mode="json", exclude={"inclusion_proof", "tree_head"}), access) for p in packs]
    return {"packs": rows, "withheld": withheld(access), "empty": None if rows else EMPTY["board"]}


async def platform_revenue(reports: Views[RevenueReport], period: str | None, access: Access) -> dict[str, Any]:
    """One month's revenue report across tenants, and the months on record.

    By default the newest month whose invoices are out (they go out in arrears, so the month under way
    has none yet and its MRR is not known), else the newest.
    """
    found = sorted(await reports.find({}), key=lambda r: r.period, reverse=True)
    months = [r.period for r in found]
    invoiced = [r.period for r in found if r.invoices_for_period]
    chosen = period or next(iter(invoiced or months), None)
    report = next((r for r in found if r.period == chosen), None)
    return {
        "periods": months,
        "period": chosen,
        "report": None if report is None else only(report.model_dump(mode="json"), access),
        "withheld": withheld(access),
        "empty": None if report else EMPTY["revenue"] if not months else f"No revenue report for {chosen}.",
    }


async def audit_page(
    trail: Views[AuditEntry], tenant: str, access: Access, limit: int, before: datetime | None
) -> dict[str, Any]:
    """A page of access decisions, newest first; `next_before` continues it."""
    query: dict[str, Any] = {"tenant": tenant}
    if before is not None:
        query["decided_at"] = {"$lt": before}
    entries = await trail.find(query, limit=limit, sort=[("decided_at", -1)])
    page = [only(e.model_dump(mode="json"), access) for e in entries]
    more = len(entries) == limit
    return {
        "tenant": tenant,
        "entries": page,
        "withheld": withheld(access),
        "next_before": entries[-1].model_dump(mode="json")["decided_at"] if more and entries else None,
        "empty": None if page else empty("audit", tenant),
    }


async def members(users: Views[Member], tenant: str, access: Access) -> dict[str, Any]:
    """The tenant's members and their roles there (never their other tenants)."""
    found = await users.find({f"tenant_roles.{tenant}": {"$exists": True}})
    rows = [
        {"id": m.id, "name": m.name, "roles": list(m.tenant_roles[tenant])} for m in found if m.tenant_roles.get(tenant)
    ]
    ordered = sorted(rows, key=lambda r: str(r["id"]))
    return {"tenant": tenant, "members": [only(r, access) for r in ordered], "withheld": withheld(access)}
