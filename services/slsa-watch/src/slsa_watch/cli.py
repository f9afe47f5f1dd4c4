"""slsa-watch: serve the verifier (the default), print the SLSA adoption, plan the hermetic runner pool."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from schemas.read_models import SlsaAdoption, SlsaRepoStatus
from service_kit.mongo import ProjectionStore, build_mongo

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
        return await ProjectionStore(mongo[settings.mongo_db]["slsa_repos"], SlsaRepoStatus).find({})
    finally:
        await mongo.close()


@app.command()
def adoption(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Print the SLSA map of every tenant and the organisation's adoption (repositories at Build L3)."""
    settings = SlsaWatchSettings()
    rows = sorted(asyncio.run(map_rows(settings)), key=lambda r: (r.tenant, r.repo))
    summary = SlsaAdoption.of(rows, settings.target_l3_repos)
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
    console = Console(width=160)
    console.print(table)
    verdict = "met" if summary.met else "not met"
    console.print(
        f"adoption: {summary.at_l3} of {summary.repos} repositories at SLSA Build L3 "
        f"(target {summary.target_l3}: {verdict}); by level {summary.by_level}; "
        f"latest submission rejected: {summary.rejected_last}"
    )
    raise typer.Exit(0 if summary.met else 1)


def main() -> None:
    """Console entry point."""
    app()
