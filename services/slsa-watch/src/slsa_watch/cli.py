"""slsa-watch: serve the verifier (the default), print the SLSA adoption, plan the hermetic runner pool."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from schemas.read_models import SlsaRepoStatus
from service_kit.mongo import ProjectionStore, build_mongo

from slsa_watch import projections
from slsa_watch.adapters.mongo import REPOS
from slsa_watch.capacity import Load, pool_size
from slsa_watch.plan import PlanInputs, render
from slsa_watch.settings import SlsaWatchSettings

app = typer.Typer(
    help="SLSA watch: serve the verifier (no command), print adoption, plan runner capacity.",
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def root(ctx: typer.Context) -> None:
    """Serve the verifier on SLSA_WATCH_HTTP_HOST:SLSA_WATCH_HTTP_PORT (default 127.0.0.1:8083) with no command."""
    if ctx.invoked_subcommand is None:
        serve()


@app.command()
def serve() -> None:
    """Serve the verifier (consumes provenance.submitted.v1 and policy.events.v1)."""
    from slsa_watch.app import main as run

    run()


async def map_rows(settings: SlsaWatchSettings) -> list[SlsaRepoStatus]:
    """Every tenant's SLSA map rows."""
    mongo = build_mongo(settings)
    try:
        return await ProjectionStore(mongo[settings.mongo_db][REPOS], SlsaRepoStatus).find({})
    finally:
        await mongo.close()


@app.command()
def adoption(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Print the SLSA map of every tenant and the organisation's adoption (repositories at Build L3)."""
    settings = SlsaWatchSettings()
    rows = sorted(asyncio.run(map_rows(settings)), key=lambda r: (r.tenant, r.repo))
    summary = projections.adoption(rows, settings.target_l3_repos)
    if as_json:
        print(json.dumps({"adoption": summary.model_dump(), "repos": [r.model_dump(mode="json") for r in rows]}))
        raise typer.Exit(0 if summary.met else 1)
    table = Table(title="SLSA map")
    for column in ("tenant", "repository", "level", "hermetic", "pinned", "latest", "builder"):
        table.add_column(column)
    for r in rows:
        latest = "verified" if r.last_outcome == "verified" else "rejected: " + "; ".join(r.last_reasons)
        level = f"L{r.build_level}" if r.build_level else "-"
        yes = {True: "yes", False: "no"}
        table.add_row(r.tenant, r.repo, level, yes[r.hermetic], yes[r.pinned], latest, r.builder_id or "-")
    console = Console(width=200)
    console.print(table)
    verdict = "met" if summary.met else "not met"
    console.print(
        f"adoption: {summary.at_l3} of {summary.repos} repositories at SLSA Build L3 "
        f"(target {summary.target_l3}: {verdict}); by level {summary.by_level}; "
        f"latest submission rejected: {summary.rejected_last}"
    )
    raise typer.Exit(0 if summary.met else 1)


@app.command()
def capacity(
    arrivals_per_hour: Annotated[float, typer.Option(help="Hermetic jobs arriving per hour, on average.")],
    mean_job_minutes: Annotated[float, typer.Option(help="Mean duration of a hermetic job, in minutes.")],
    target_wait_p95: Annotated[float, typer.Option(help="Target p95 queue wait, in minutes.")],
    peak_factor: Annotated[float, typer.Option(help="Arrivals multiplier in release windows.")] = 2.0,
    release_share: Annotated[float, typer.Option(help="Share of jobs that are releases (served first).")] = 0.2,
    output: Annotated[Path, typer.Option(help="Where to write the plan ('-': print it).")] = Path(
        "security/runner-capacity.md"
    ),
    check: Annotated[bool, typer.Option(help="Check the model against a simulation in the plan.")] = True,
) -> None:
    """Size the hermetic runner pool for a target p95 wait (M/M/c, Erlang C) and write the plan as Markdown."""
    if not 0 <= release_share <= 1 or peak_factor < 1 or target_wait_p95 <= 0:
        raise typer.BadParameter("need 0 <= --release-share <= 1, --peak-factor >= 1 and --target-wait-p95 > 0")
    try:
        inputs = PlanInputs(arrivals_per_hour, mean_job_minutes, target_wait_p95, peak_factor, release_share)
        document = render(inputs, check=check)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if str(output) == "-":
        print(document, end="")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    load = Load(arrivals_per_hour, mean_job_minutes)
    print(f"wrote {output}: {pool_size(load, target_wait_p95)} runners for a p95 wait of {target_wait_p95:g} min")


def main() -> None:
    """Console entry point."""
    app()
