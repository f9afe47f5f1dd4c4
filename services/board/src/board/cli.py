"""board: serve the board (the default), run the prober, import payments, print reports, build and verify packs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Column, Table
from schemas.revenue import RevenueReport
from service_kit.logging import configure_logging
from service_kit.periods import Period

from board.errors import PaymentsFileError
from board.money import shown
from board.sla import SlaReport

app = typer.Typer(
    help="Board: serve the board's projections (no command), import payments, print the revenue report.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
payments_app = typer.Typer(help="Payments received, from a payment processor's or bank's export.")
app.add_typer(payments_app, name="payments")
MAX_FILE_BYTES = 64 * 1024 * 1024
TABLE: dict[str, Any] = {"box": box.SIMPLE_HEAD, "title_justify": "left", "pad_edge": False}
PAYMENTS_HELP = "CSV with a header: payment_id, invoice_id, amount (or amount_minor), currency, received_at, method."


@app.callback(invoke_without_command=True)
def root(ctx: typer.Context) -> None:
    """Serve the board on BOARD_HTTP_HOST:BOARD_HTTP_PORT (default 127.0.0.1:8085) when no command is given."""
    if ctx.invoked_subcommand is None:
        from board.app import main as run

        run()


def settings() -> Any:
    """The board's settings, with logs kept quiet for a CLI."""
    from board.settings import BoardSettings

    s = BoardSettings()
    configure_logging(s.service_name, level="WARNING", json=s.log_json)
    return s


@payments_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help=PAYMENTS_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Publish each payment of the file as PaymentReceived; bad rows are named by line, a rerun imports nothing twice.

    Exits 0 when every row was imported or had been, 1 when some rows were refused, 2 when the file is unreadable.
    """
    from board.payments import parse_payments
    from board.store import import_payments

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PaymentsFileError(f"over {MAX_FILE_BYTES // 2**20} MiB: split the export")
        parsed = parse_payments(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, PaymentsFileError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    outcome = asyncio.run(import_payments(settings(), parsed, datetime.now(UTC)))
    if as_json:
        print(json.dumps(outcome, indent=2))
    else:
        for warning in outcome["warnings"]:
            print(f"warning: {warning}")
        for e in outcome["errors"]:
            print(f"line {e['line']}: {e['payment_id'] or '-'}: {e['reason']}")
        unknown = sum(1 for r in outcome["imported"] if not r["invoice_known"])
        print(
            f"{path}: {len(outcome['imported'])} imported ({unknown} for invoices not on record), "
            f"{len(outcome['already_imported'])} already imported, {len(outcome['errors'])} refused"
        )
    raise typer.Exit(1 if outcome["errors"] else 0)


def month_option(period: str) -> Period:
    """--period as a month; exits 2 naming the accepted form."""
    try:
        month = Period.parse(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    if month.kind != "month":
        raise typer.BadParameter(f"{period}: the revenue report is per month (YYYY-MM)", param_hint="--period")
    return month


@app.command()
def revenue(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="The per-tenant table as CSV.")] = False,
) -> None:
    """The month's revenue report: MRR and movements, invoiced, collected, outstanding (aged) and reconciliation."""
    from board.store import load_revenue

    if as_json and as_csv:
        raise typer.BadParameter("give at most one of --json and --csv", param_hint="--json")
    month = month_option(period)
    report = asyncio.run(load_revenue(settings(), month, datetime.now(UTC)))
    if as_json:
        print(report.model_dump_json(indent=2))
    elif as_csv:
        sys.stdout.write(revenue_csv(report))
    else:
        show_revenue(report, Console())


def revenue_csv(report: RevenueReport) -> str:
    """The per-tenant lines of the report as CSV (amounts in minor units, with their currency)."""
    out = io.StringIO()
    fields = ["tenant", "plan", "currency", "mrr_minor", "previous_mrr_minor", "movement", "invoiced_minor",
              "collected_minor", "outstanding_minor"]  # fmt: skip
    writer = csv.DictWriter(out, fieldnames=["period", *fields], lineterminator="\n")
    writer.writeheader()
    for row in report.tenants:
        writer.writerow({"period": report.period, **row.model_dump(include=set(fields))})
    return out.getvalue()


def money_column(header: str) -> Column:
    """A column of amounts: right-aligned, never cut."""
    return Column(header, justify="right", no_wrap=True, overflow="ignore")


def show_revenue(report: RevenueReport, console: Console) -> None:
    """The report as tables for a terminal: one column per currency, never a sum across them."""
    console.print(
        f"[bold]Revenue {report.period}[/]  money as of {report.as_of:%Y-%m-%d %H:%M} UTC; "
        f"{report.sources['invoices']} invoices and {report.sources['payments']} payments on record, "
        f"{report.invoices_for_period} invoices for {report.period}"
    )
    currencies = sorted(
        {m.currency for m in report.mrr} | {a.currency for a in (*report.invoiced, *report.collected)}
        | {a.currency for a in report.outstanding}
    )  # fmt: skip
    mrr = {m.currency: m for m in report.mrr}
    bridge = Table("MRR", *currencies, title="MRR bridge", **TABLE)
    for label, field, sign in (("opening (previous month)", "previous_minor", 1), ("+ new", "new_minor", 1),
                               ("+ reactivation", "reactivation_minor", 1), ("+ expansion", "expansion_minor", 1),
                               ("- contraction", "contraction_minor", -1), ("- churned", "churned_minor", -1),
                               (f"= MRR {report.period}", "mrr_minor", 1)):  # fmt: skip
        bridge.add_row(label, *(shown(sign * getattr(mrr[c], field), c) if c in mrr else "-" for c in currencies))
    bridge.add_row("paying customers", *(str(mrr[c].customers) if c in mrr else "-" for c in currencies))
    console.print(bridge)

    def amount(rows: tuple[Any, ...], c: str, field: str = "amount_minor") -> str:
        found = next((getattr(a, field) for a in rows if a.currency == c), 0)
        return shown(found, c)

    money = Table("money", *currencies, title="Invoiced, collected, outstanding", **TABLE)
    money.add_row(f"invoiced {report.period} to date", *(amount(report.invoiced, c) for c in currencies))
    money.add_row("collected", *(amount(report.collected, c) for c in currencies))
    money.add_row("outstanding", *(amount(report.outstanding, c, "total_minor") for c in currencies))
    for name in ("0-30", "31-60", "61-90", "90+"):
        aged = {a.currency: a.buckets[name] for a in report.outstanding}
        money.add_row(f"  {name} days", *(shown(aged.get(c, 0), c) for c in currencies))
    money.add_row("  of which overdue", *(amount(report.outstanding, c, "overdue_minor") for c in currencies))
    console.print(money)
    tenants = Table(Column("tenant", no_wrap=True), Column("plan", overflow="fold"),
                    *map(money_column, ("MRR", "movement", "invoiced", "collected", "due")),
                    title="Tenants", **TABLE)  # fmt: skip
    for t in report.tenants:
        c = t.currency
        tenants.add_row(t.tenant, t.plan or "-", shown(t.mrr_minor, c), t.movement,
                        shown(t.invoiced_minor, c), shown(t.collected_minor, c),
                        shown(t.outstanding_minor, c))  # fmt: skip
    console.print(tenants)
    if report.issues:
        console.print(f"[bold]Reconciliation[/]: {len(report.issues)} to look at")
        for i in report.issues:
            where = f"payment {i.payment_id} for {i.invoice_id}" if i.payment_id else f"invoice {i.invoice_id}"
            console.print(f"  [bold]{i.kind}[/] {i.tenant}, {where}: {i.reason}", highlight=False)
    else:
        console.print("Reconciliation: every invoice adds up and every payment matches its invoice.")


def period_window(period: str) -> Any:
    """--period as a board pack window; exits 2 naming the accepted forms."""
    from board.windows import window

    try:
        return window(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None


def show_checks(checks: list[Any]) -> None:
    """The completeness report, a line per check."""
    for c in checks:
        print(f"{'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {c['detail']}")


PERIOD_HELP = "YYYY-MM, YYYY-Qn, or mid-Qn-YYYY (the quarter to its middle month's 15th)."


def scheduled_period(period: str | None, last_month: bool, mid_quarter: bool, now: datetime) -> str:
    """The period given, or the one a schedule means: last month, or this quarter to its middle month's 15th."""
    if [period is not None, last_month, mid_quarter].count(True) != 1:
        raise typer.BadParameter("give exactly one of --period, --last-month and --mid-quarter", param_hint="--period")
    if last_month:
        return (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if mid_quarter:
        return f"mid-Q{(now.month - 1) // 3 + 1}-{now.year}"
    assert period is not None
    return period


@app.command()
def build(
    period: Annotated[str | None, typer.Option(help=PERIOD_HELP)] = None,
    last_month: Annotated[bool, typer.Option("--last-month", help="The month before this one (a CronJob).")] = False,
    mid_quarter: Annotated[
        bool, typer.Option("--mid-quarter", help="This quarter to its middle month's 15th (a CronJob on the 16th).")
    ] = False,
    out: Annotated[Path, typer.Option(help="Directory to write the PDF, its proof and tree head into.")] = Path("."),
    allow_incomplete: Annotated[
        bool, typer.Option("--allow-incomplete", help="Build even if a check fails; page 1 says INCOMPLETE.")
    ] = False,
) -> None:
    """Have the board service build a period's pack, anchored in the ledger; write it with its proof and tree head.

    Exits 0 when built (complete, or incomplete with --allow-incomplete), 1 when a check failed or no answer came.
    """
    import getpass

    from board.store import request_pack

    span = period_window(scheduled_period(period, last_month, mid_quarter, datetime.now(UTC)))
    doc = asyncio.run(request_pack(settings(), span.label, allow_incomplete=allow_incomplete, by=getpass.getuser()))
    if doc["state"] == "timeout":
        print(f"no answer from the board service within BOARD_PACK_TIMEOUT_S (request {doc['_id']}): is it running?",
              file=sys.stderr)  # fmt: skip
        raise typer.Exit(1)
    show_checks(doc.get("checks", []))
    if doc["state"] == "failed":
        print(f"NOT BUILT: {doc.get('reason')}", file=sys.stderr)
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    path = out / doc["file_name"]
    path.write_bytes(doc["pdf"])
    (out / f"{doc['file_name']}.proof.json").write_text(json.dumps(doc["proof"], indent=2) + "\n")
    (out / f"{doc['file_name']}.tree-head.json").write_text(json.dumps(doc["tree_head"], indent=2) + "\n")
    state = "complete" if doc["complete"] else "INCOMPLETE (built with --allow-incomplete)"
    print(f"{path}: {state}; sha256 {doc['sha256']}, ledger index {doc['ledger_index']}, {doc['size']:,} bytes")


@app.command()
def check(period: Annotated[str, typer.Option(help=PERIOD_HELP)]) -> None:
    """Run the completeness check of a period's pack without building it; exits 1 when a check fails."""
    from board.store import check_pack

    checks = asyncio.run(check_pack(settings(), period_window(period)))
    show_checks([c.model_dump() for c in checks])
    failed = [c for c in checks if not c.ok]
    print(f"{len(checks) - len(failed)} of {len(checks)} checks passed")
    raise typer.Exit(1 if failed else 0)


def read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON document given on the command line; exits 2 naming the file and problem."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        print(f"{what} {path}: unreadable ({exc})", file=sys.stderr)
        raise typer.Exit(2) from None
    if not isinstance(value, dict):
        print(f"{what} {path}: not a JSON object", file=sys.stderr)
        raise typer.Exit(2)
    return value


@app.command()
def verify(
    pdf: Annotated[Path, typer.Argument(help="board-<period>.pdf")],
    key: Annotated[Path, typer.Option(help="The platform's Ed25519 public key (PEM), received out of band.")],
    proof: Annotated[Path | None, typer.Option(help="Inclusion proof (default: <pdf>.proof.json).")] = None,
    tree_head: Annotated[Path | None, typer.Option(help="Signed tree head (default: <pdf>.tree-head.json).")] = None,
) -> None:
    """Check a board pack offline: its digest is the ledger entry's, and the entry is in the signed tree."""
    from transparency.log import load_public

    from board.verify import verify_board_pack

    try:
        public = load_public(key.read_text())
        data = pdf.read_bytes()
    except (OSError, ValueError) as exc:
        print(f"cannot read {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    proof_doc = read_json(proof or pdf.with_name(pdf.name + ".proof.json"), "proof")
    head_doc = read_json(tree_head or pdf.with_name(pdf.name + ".tree-head.json"), "tree head")
    checks = verify_board_pack(data, pdf.name, proof_doc, head_doc, public)
    show_checks([c.model_dump() for c in checks])
    good = all(c.ok for c in checks)
    print(f"{pdf.name}: {'VERIFIED' if good else 'NOT VERIFIED'}")
    raise typer.Exit(0 if good else 1)


@app.command()
def probe() -> None:
    """Run the prober: probe the portal from outside every BOARD_PROBE_INTERVAL_S and publish each ProbeResult."""
    from board.app import probe_main

    probe_main()


@app.command()
def sla(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
) -> None:
    """The month's SLA from the prober's results: availability against 99.95%, error budget, incidents, latency."""
    from board.store import load_sla

    month = month_option(period)
    report = asyncio.run(load_sla(settings(), month, datetime.now(UTC)))
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        show_sla(report, Console())


def percent(value: float | None, digits: int = 3) -> str:
    """A share as a percentage, or "unknown"."""
    return "unknown" if value is None else f"{100 * value:.{digits}f}%"


def show_sla(report: SlaReport, console: Console) -> None:
    """The SLA report for a terminal."""
    verdict = {"met": "[green]met[/]", "breached": "[red]breached[/]", "unknown": "[yellow]unknown (no probes)[/]"}
    console.print(
        f"[bold]SLA {report.period}[/] as of {report.as_of:%Y-%m-%d %H:%M} UTC: "
        f"objective {percent(report.objective, 2)} {verdict[report.state]}"
    )
    figures = Table("", "value", title="Availability and error budget", **TABLE)
    figures.add_row("availability (minutes)", percent(report.availability_minutes))
    figures.add_row("availability (probes)", percent(report.availability_probes))
    figures.add_row("minutes good / bad / unknown", f"{report.good_minutes:,} / {report.bad_minutes:,} / "
                    f"{report.unknown_minutes:,} of {report.minutes_elapsed:,} elapsed")  # fmt: skip
    figures.add_row("probes (failed)", f"{report.probes:,} ({report.failed_probes:,})")
    figures.add_row("error budget", f"{report.budget_minutes:.1f} min for the month")
    figures.add_row("budget burned", f"{report.budget_burned_pct:.1f}%")
    figures.add_row(
        "burn rate", "unknown" if report.burn_rate is None else f"{report.burn_rate:.2f}x (1x spends it by month end)"
    )
    console.print(figures)
    targets = Table("target", "probes", "failed", "p50", "p95", title="Probe latency", **TABLE)
    for t in report.targets:
        ms = [("-" if v is None else f"{v:.1f} ms") for v in (t.latency_p50_ms, t.latency_p95_ms)]
        targets.add_row(t.target, f"{t.probes:,}", f"{t.failed:,}", *ms)
    console.print(targets)
    console.print(f"[bold]Incidents[/]: {len(report.incidents) or 'none'}")
    for i in report.incidents:
        end = "ongoing" if i.ongoing else f"{i.end:%H:%M:%S}"
        console.print(f"  {i.start:%Y-%m-%d %H:%M:%S} - {end} ({i.duration_s / 60:.1f} min, {', '.join(i.targets)}, "
                      f"{i.failed_probes} failed probes): {i.first_error}", highlight=False)  # fmt: skip
    if report.gaps:
        unknown = sum(g.minutes for g in report.gaps)
        console.print(f"[bold]No probes[/] (the prober, not the portal): {len(report.gaps)} gap(s), {unknown:,} min")
        for g in report.gaps[:10]:
            console.print(f"  {g.start:%Y-%m-%d %H:%M} - {g.end:%H:%M} ({g.minutes} min)", highlight=False)


def main() -> None:
    """Console entry point."""
    app()
