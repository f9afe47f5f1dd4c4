"""trust-portal-onboard: onboard a cohort from a CSV and follow it live; read a cohort's status."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from opentelemetry.trace import TracerProvider
from pydantic import ValidationError
from pymongo.errors import PyMongoError
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from schemas.read_models import CohortView, TenantState, TenantView
from service_kit.broker import ensure_topics
from service_kit.logging import configure_logging
from service_kit.mongo import build_mongo
from service_kit.publishing import one_shot_publisher
from service_kit.tracing import build_tracer_provider

from onboarding import batch, projections, triage
from onboarding.adapters import mongo as mongo_adapter
from onboarding.domain import Rules
from onboarding.errors import RosterError
from onboarding.follow import PENDING, BatchProgress, FactFollower
from onboarding.settings import OnboardingSettings
from onboarding.ssrf import UrlPolicy
from schemas import topics

app = typer.Typer(
    help="Onboard partner cohorts to Trust Portal and follow their progress.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True, highlight=False)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class TenantLine:
    """One tenant as the summary shows it."""

    tenant: str
    line: int | None
    state: str
    attempts: int | None = None
    ttfv_s: float | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "tenant": self.tenant,
            "line": self.line,
            "state": self.state,
            "attempts": self.attempts,
            "time_to_first_verify_s": self.ttfv_s,
            "reason": self.reason or None,
        }


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@app.command("batch")
def batch_command(
    path: Annotated[Path, typer.Argument(help="CSV: rows of tenant,webhook, or a header naming columns.")],
    cohort: Annotated[
        str, typer.Option(help="Cohort for every row (default: the rows' cohort column, else the file name).")
    ] = "",
    plan: Annotated[str, typer.Option(help="Plan for rows that name none.")] = "standard",
    timeout: Annotated[float, typer.Option(help="Seconds to follow progress before giving up.")] = 300.0,
    follow: Annotated[bool, typer.Option(help="Follow progress until every tenant is final.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")] = False,
) -> None:
    """Publish a cohort from a CSV to the intake topic, then follow it live; exit 0 only when all verified."""
    settings = OnboardingSettings()
    configure_logging("onboarding-cli", level="WARNING", json=True)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise _fail(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        roster = batch.parse_roster(text)
    except RosterError as exc:
        raise _fail(f"{path}: {exc}") from None
    default_cohort = cohort or (path.stem if not any(r.cohort for r in roster.rows) else "")
    now = datetime.now(UTC)
    requests = [batch.to_request(r, cohort=default_cohort, plan=plan, now=now) for r in roster.rows]
    rules = Rules(plans=settings.plans, urls=UrlPolicy(allow_hosts=frozenset(settings.webhook_allow_hosts)))
    requests = batch.check(roster, requests, rules)
    for warning in roster.warnings:
        err.print(f"[yellow]warning:[/] {path}: {warning}")
    for error in roster.errors:
        err.print(f"[red]{path}:{error.line}:[/] {error.tenant or '(no tenant)'}: {error.reason}")
    code = asyncio.run(_run(settings, roster, requests, deadline_s=timeout, follow=follow, as_json=as_json))
    raise typer.Exit(code)


async def publish_requests(settings: OnboardingSettings, requests: list[Any], tracer_provider: TracerProvider) -> None:
    """Publish the requests to the intake topic inside one `onboard.batch` span (the trace's root)."""
    tracer = tracer_provider.get_tracer("onboarding.cli")
    with tracer.start_as_current_span("onboard.batch", attributes={"batch.size": len(requests)}):
        async with one_shot_publisher(
            settings, topics.TENANT_INTAKE, client="onboarding-cli", tracer_provider=tracer_provider
        ) as intake:
            for request in requests:
                await intake.publish(request)


async def _publish_and_follow(
    settings: OnboardingSettings,
    requests: list[Any],
    progress: BatchProgress,
    *,
    deadline_s: float,
    follow: bool,
    as_json: bool,
) -> int | None:
    """Publish the requests and fold their facts into `progress`; an exit code when Kafka is unreachable."""
    tracer_provider = build_tracer_provider("onboarding-cli")
    follower = FactFollower(settings.kafka_bootstrap, settings.topic(topics.TENANT_EVENTS))
    try:
        try:
            await ensure_topics(
                settings.kafka_bootstrap, [settings.topic(topics.TENANT_INTAKE), settings.topic(topics.TENANT_EVENTS)]
            )
            await follower.start()  # before publishing, so that no fact is missed
            await publish_requests(settings, requests, tracer_provider)
        except Exception as exc:
            err.print(
                f"[bold red]error:[/] cannot reach Kafka at {settings.kafka_bootstrap}: {type(exc).__name__}: {exc}"
            )
            return EXIT_USAGE
        if not as_json:
            err.print(f"published {len(requests)} request(s) to {settings.topic(topics.TENANT_INTAKE)}")
        if follow:
            with _LiveView(progress, enabled=not as_json) as view:
                await follower.follow(progress, deadline_s=deadline_s, on_change=view.update)
    finally:
        await follower.stop()
        tracer_provider.shutdown()
    return None


async def _run(
    settings: OnboardingSettings,
    roster: batch.Roster,
    requests: list[Any],
    *,
    deadline_s: float,
    follow: bool,
    as_json: bool,
) -> int:
    lines = {r.tenant: r.line for r in roster.rows}
    progress = BatchProgress({r.data.slug: r.data.cohort for r in requests})
    if requests:
        code = await _publish_and_follow(
            settings, requests, progress, deadline_s=deadline_s, follow=follow, as_json=as_json
        )
        if code is not None:
            return code
    summary = [
        TenantLine(
            slug,
            lines.get(slug),
            "timed out" if follow and t.state in (PENDING, TenantState.PROVISIONED.value) else t.state,
            attempts=t.attempts,
            ttfv_s=t.ttfv_s,
            reason=t.reason,
        )
        for slug, t in progress.tenants.items()
    ]
    summary += [TenantLine(e.tenant, e.line, "invalid", reason=e.reason) for e in roster.errors]
    summary.sort(key=lambda t: (t.line or 0, t.tenant))
    all_verified = bool(summary) and all(t.state == TenantState.ONBOARDED for t in summary)
    if as_json:
        counts: dict[str, int] = {}
        for t in summary:
            counts[t.state] = counts.get(t.state, 0) + 1
        print(json.dumps({"ok": all_verified, "counts": counts, "tenants": [t.as_dict() for t in summary]}, indent=2))
    else:
        _print_summary(summary)
    return EXIT_OK if all_verified else EXIT_FAILED


class _LiveView:
    """A progress bar, with a per-tenant table for small batches, on stderr."""

    def __init__(self, progress: BatchProgress, *, enabled: bool) -> None:
        self.progress = progress
        self.bar = Progress(
            TextColumn("[bold]onboarding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
        )
        self.task = self.bar.add_task("", total=len(progress.tenants))
        self.live = Live(self.bar, console=err, refresh_per_second=8) if enabled else None

    def __enter__(self) -> _LiveView:
        if self.live:
            self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live:
            self.live.stop()
            err.print()

    def update(self, progress: BatchProgress) -> None:
        if not self.live:
            return
        counts: dict[str, int] = {}
        for t in progress.tenants.values():
            counts[t.state] = counts.get(t.state, 0) + 1
        description = "  ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        self.bar.update(self.task, completed=progress.done, description=description)
        if len(progress.tenants) > 25:
            return
        grid = Table.grid()
        grid.add_row(self.bar)
        table = Table(show_header=True, header_style="bold", box=None)
        table.add_column("tenant")
        table.add_column("state")
        table.add_column("attempts", justify="right")
        for slug, t in progress.tenants.items():
            table.add_row(
                slug, f"[{_STYLE.get(t.state, '')}]{t.state}[/]", "" if t.attempts is None else str(t.attempts)
            )
        grid.add_row(table)
        self.live.update(grid)


_STYLE = {
    TenantState.ONBOARDED: "green",
    TenantState.VERIFICATION_FAILED: "red",
    TenantState.REJECTED: "red",
    "invalid": "red",
    "timed out": "red",
    PENDING: "dim",
    TenantState.PROVISIONED: "yellow",
}


def _print_summary(summary: list[TenantLine]) -> None:
    table = Table(title="Cohort summary", header_style="bold")
    for name, justify in (
        ("line", "right"),
        ("tenant", "left"),
        ("state", "left"),
        ("attempts", "right"),
        ("time to first verify", "right"),
        ("reason", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in summary:
        table.add_row(
            str(t.line or ""),
            t.tenant,
            f"[{_STYLE.get(t.state, 'red')}]{t.state}[/]",
            "" if t.attempts is None else str(t.attempts),
            "" if t.ttfv_s is None else f"{t.ttfv_s:.3f} s",
            t.reason,
        )
    Console().print(table)
    verified = sum(1 for t in summary if t.state == TenantState.ONBOARDED)
    Console().print(f"{verified}/{len(summary)} verified")


@app.command("status")
def status_command(
    cohort: Annotated[str, typer.Option(help="Cohort name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show a cohort's metrics: requested, provisioned, verified, failed, failure rate, time-to-first-verify."""
    settings = OnboardingSettings()
    configure_logging("onboarding-cli", level="WARNING", json=True)
    view = asyncio.run(_load_cohort(settings, cohort))
    if view is None:
        raise _fail(f"no cohort named {cohort!r} (nothing onboarded in it yet)", EXIT_FAILED)
    if as_json:
        tenants = {k: str(v) for k, v in sorted(view.states.items())}
        print(json.dumps({**projections.cohort_summary(view), "tenants": tenants}, indent=2))
        return
    print_cohort(view, Console())


@app.command("triage")
def triage_command(
    cohort: Annotated[str, typer.Option(help="Cohort name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    as_markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown for the office-hours notes.")] = False,
) -> None:
    """A cohort's failures grouped by cause, with what the partner should do and the tenants affected.

    Causes: validation, SSRF refusal, DNS, TLS, timeout, connect, signature rejected (401/403), 4xx, 5xx.
    """
    settings = OnboardingSettings()
    configure_logging("onboarding-cli", level="WARNING", json=True)
    tenants = asyncio.run(_load_tenants(settings, cohort))
    if not tenants:
        raise _fail(f"no cohort named {cohort!r} (nothing onboarded in it yet)", EXIT_FAILED)
    groups = triage.triage(tenants)
    if as_json:
        failed = sum(len(g.tenants) for g in groups)
        print(json.dumps({"cohort": cohort, "tenants": len(tenants), "failed": failed,
                          "causes": [g.as_dict() for g in groups]}, indent=2))  # fmt: skip
    elif as_markdown:
        print(triage.markdown(cohort, groups, len(tenants)), end="")
    else:
        print_triage(cohort, groups, len(tenants), Console())


def print_triage(cohort: str, groups: list[triage.Group], total: int, console: Console) -> None:
    """The triage as a table: cause, tenants affected, what to do."""
    failed = sum(len(g.tenants) for g in groups)
    table = Table(title=f"Cohort {cohort}: {failed} of {total} partners need help", header_style="bold",
                  show_lines=True)  # fmt: skip
    table.add_column("cause")
    table.add_column("tenants (reason)")
    table.add_column("what the partner should do")
    for g in groups:
        table.add_row(f"{g.cause.label} ({len(g.tenants)})", "\n".join(f"{t}: {r}" for t, r in g.tenants),
                      g.cause.action)  # fmt: skip
    if not groups:
        table.add_row("-", "nothing failed", "-")
    console.print(table)


async def _load_tenants(settings: OnboardingSettings, cohort: str) -> list[TenantView]:
    mongo = build_mongo(settings)
    try:
        return list(await mongo_adapter.tenant_store(mongo, settings.mongo_db).find({"cohort": cohort}))
    except PyMongoError as exc:
        raise _fail(f"cannot read MongoDB at {settings.mongo_uri}: {type(exc).__name__}") from None
    finally:
        await mongo.close()


async def _load_cohort(settings: OnboardingSettings, cohort: str) -> CohortView | None:
    mongo = build_mongo(settings)
    try:
        return (await mongo_adapter.load_cohorts(mongo, settings.mongo_db, [cohort])).get(cohort)
    except PyMongoError as exc:
        raise _fail(f"cannot read MongoDB at {settings.mongo_uri}: {type(exc).__name__}") from None
    except ValidationError as exc:
        raise _fail(f"stored cohort data does not match this version of the read model: {exc}") from None
    finally:
        await mongo.close()


def print_cohort(view: CohortView, console: Console) -> None:
    """Render a cohort's metrics as a table."""
    s = projections.cohort_summary(view)

    def seconds(value: object) -> str:
        return "-" if not isinstance(value, float | int) else f"{value:.3f} s"

    table = Table(title=f"Cohort {view.cohort}", header_style="bold", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in ("requested", "provisioned", "verified", "failed", "pending"):
        table.add_row(name, str(s[name]))
    table.add_row("failure rate", f"{view.failure_rate:.1%}")
    table.add_row("time to first verify p50", seconds(s["ttfv_p50_s"]))
    table.add_row("time to first verify p95", seconds(s["ttfv_p95_s"]))
    console.print(table)
    if view.reasons:
        reasons = Table(title="Failures", header_style="bold")
        reasons.add_column("tenant")
        reasons.add_column("state")
        reasons.add_column("reason")
        for slug, reason in sorted(view.reasons.items()):
            reasons.add_row(slug, str(view.states.get(slug, "")), reason)
        console.print(reasons)


def main() -> None:
    """Entry point: `trust-portal-onboard --batch FILE` is the seed's form of `batch FILE`."""
    argv = sys.argv[1:]
    if argv and argv[0] == "--batch":
        argv = ["batch", *argv[1:]]
    elif argv and argv[0].startswith("--batch="):
        argv = ["batch", argv[0].split("=", 1)[1], *argv[1:]]
    app(args=argv, prog_name="trust-portal-onboard")
