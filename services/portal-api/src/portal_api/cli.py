"""portal-api: serve the portal (the default), issue a period's invoices, import members."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from schemas.billing import InvoiceIssued
from schemas.read_models import TenantView
from service_kit.logging import configure_logging
from service_kit.mongo import build_mongo
from service_kit.publishing import one_shot_publisher
from service_kit.serving import serve as serve_http

from portal_api.adapters import mongo as mongo_names
from portal_api.billing import DEFAULT_PLANS, Plan, invoice, invoice_id, load_plans, period_of
from portal_api.members import load_members, stamped
from portal_api.settings import PortalSettings
from portal_api.ui import money
from portal_api.views import InvoiceEntry, UsageEntry
from schemas import topics

app = typer.Typer(
    help="Trust Portal API: serve it (no command), issue invoices, import members.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
members_app = typer.Typer(help="Tenant membership (collection portal_users).", no_args_is_help=True)
app.add_typer(members_app, name="members")
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


@app.callback(invoke_without_command=True)
def root(ctx: typer.Context) -> None:
    """Serve the portal on PORTAL_HTTP_HOST:PORTAL_HTTP_PORT (default 127.0.0.1:8080) when no command is given."""
    if ctx.invoked_subcommand is None:
        serve()


@app.command()
def serve() -> None:
    """Serve the portal."""
    from portal_api.app import build_app

    settings = PortalSettings()
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    app_ = build_app(settings)
    # Everything built so far lives as long as the process: keep it out of the collector's full passes,
    # which otherwise walk every FastAPI/pydantic/OTel object (~100 ms pauses under load).
    gc.collect()
    gc.freeze()
    serve_http(app_, env_prefix="PORTAL_", default_port=8080, extra_ports=(settings.metrics_port,))


@app.command("invoice")
def invoice_command(
    period: Annotated[str | None, typer.Option(help="Calendar month to bill, YYYY-MM (UTC).")] = None,
    last_month: Annotated[bool, typer.Option("--last-month", help="Bill the month that ended last (UTC).")] = False,
    open_period: Annotated[
        bool, typer.Option("--open-period", help="Allow billing the current month (usage still arriving).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Issue every onboarded tenant's invoice for a period (InvoiceIssued); a rerun issues nothing twice."""
    now = datetime.now(UTC)
    if last_month == (period is not None):
        raise typer.BadParameter("give either --period YYYY-MM or --last-month", param_hint="--period")
    if period is None:
        period = period_of(now.replace(day=1) - timedelta(days=1))
    if not re.fullmatch(PERIOD, period):
        raise typer.BadParameter(f"{period!r} is not a calendar month (YYYY-MM)", param_hint="--period")
    if period >= period_of(now) and not open_period:
        raise typer.BadParameter(
            f"{period} is not over yet (now {period_of(now)}); its usage is still arriving. "
            "Pass --open-period to bill it anyway.",
            param_hint="--period",
        )
    settings = PortalSettings()
    configure_logging(settings.service_name, level="WARNING", json=settings.log_json)
    plans = load_plans(Path(settings.plans_file) if settings.plans_file else DEFAULT_PLANS)
    outcome = asyncio.run(issue_invoices(settings, period, plans, now))
    if as_json:
        print(json.dumps(outcome, indent=2))
    else:
        show(outcome, period)
    raise typer.Exit(1 if outcome["problems"] else 0)


async def issue_invoices(
    settings: PortalSettings, period: str, plans: dict[str, Plan], now: datetime
) -> dict[str, Any]:
    """Bill every onboarded tenant for `period`; invoices already issued are reported, not issued again."""
    mongo = build_mongo(settings)
    db = mongo[settings.mongo_db]
    try:
        usage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        async for doc in db[mongo_names.USAGE].find({"period": period}):
            entry = UsageEntry.model_validate(doc)
            usage[entry.tenant][entry.meter] += entry.quantity
        tenants = [
            TenantView.model_validate(d)
            async for d in mongo[settings.onboarding_db][mongo_names.ONBOARDING_TENANTS].find({})
        ]
        billable = sorted((t for t in tenants if t.state == "onboarded"), key=lambda t: t.slug)
        known = {t.slug for t in billable}
        problems = [f"{t}: usage recorded but the tenant is not onboarded; not billed" for t in usage if t not in known]
        rows = []
        client = f"{settings.service_name}-invoice"
        async with one_shot_publisher(settings, topics.BILLING_EVENTS, client=client) as billing:
            for tenant in billable:
                plan = plans.get(tenant.plan or "")
                if plan is None:
                    problems.append(
                        f"{tenant.slug}: plan {tenant.plan!r} is not in the plans configuration; not billed"
                    )
                    continue
                issued = await db[mongo_names.INVOICES].find_one({"_id": invoice_id(tenant.slug, period)})
                event: InvoiceIssued = invoice(tenant.slug, period, plan, usage.get(tenant.slug, {}), now)
                if issued is None:
                    await billing.publish(event)
                data = event.data if issued is None else InvoiceEntry.model_validate(issued)
                rows.append(
                    {
                        "tenant": tenant.slug,
                        "invoice_id": data.invoice_id,
                        "plan": data.plan,
                        "currency": data.currency,
                        "total_minor": data.total_minor,
                        "status": "issued" if issued is None else "already issued",
                    }
                )
        return {"period": period, "invoices": rows, "problems": problems}
    finally:
        await mongo.close()


def show(outcome: dict[str, Any], period: str) -> None:
    """The outcome as a table, problems after it."""
    console = Console()
    table = Table(title=f"Invoices for {period}")
    for column in ("tenant", "plan", "total", "status", "invoice id"):
        table.add_column(column)
    for row in outcome["invoices"]:
        total = money(row["total_minor"], row["currency"])
        table.add_row(row["tenant"], row["plan"], total, row["status"], row["invoice_id"])
    console.print(table)
    for problem in outcome["problems"]:
        console.print(f"[red]problem:[/red] {problem}")


@members_app.command("import")
def import_members(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON list of members.")],
) -> None:
    """Create or replace the members listed in PATH (id, name, tenant_roles, platform_roles)."""
    try:
        members = load_members(path)
    except (ValidationError, json.JSONDecodeError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    settings = PortalSettings()

    async def write() -> None:
        mongo = build_mongo(settings)
        try:
            collection = mongo[settings.mongo_db][mongo_names.USERS]
            for member in stamped(members, datetime.now(UTC)):
                await collection.replace_one({"_id": member.id}, member.model_dump(), upsert=True)
        finally:
            await mongo.close()

    asyncio.run(write())
    print(f"imported {len(members)} members from {path}")


def main() -> None:
    """Entry point of the `portal-api` command."""
    app()
