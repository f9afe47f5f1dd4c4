"""evidence: serve the builder (the default), verify a pack offline, export a pack, request the month's packs."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric import ed25519
from transparency.log import load_public, verify_detached

from evidence.ledger import head_message
from evidence.verify import Expected, check_consistency, verify_pack

app = typer.Typer(
    help="Evidence: serve the pack builder (no command), verify packs offline, export packs, schedule packs.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


@app.callback(invoke_without_command=True)
def root(ctx: typer.Context) -> None:
    """Serve the builder on EVIDENCE_HTTP_HOST:EVIDENCE_HTTP_PORT (default 127.0.0.1:8084) when no command is given."""
    if ctx.invoked_subcommand is None:
        from evidence.app import main as run

        run()


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


def platform_public_key(key: Path) -> ed25519.Ed25519PublicKey:
    """The platform's public key given on the command line; exits 2 naming the problem."""
    try:
        return load_public(key.read_text())
    except (OSError, ValueError) as exc:
        print(f"cannot read the key {key}: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


@app.command()
def verify(
    pack: Annotated[Path, typer.Argument(help="The pack archive (evidence-<id>.tar).")],
    key: Annotated[Path, typer.Option(help="The platform's public key (PEM), obtained out of band.")],
    signature: Annotated[Path | None, typer.Option(help="DSSE envelope (default: PACK.dsse.json if present).")] = None,
    proof: Annotated[Path | None, typer.Option(help="Inclusion proof (JSON).")] = None,
    tree_head: Annotated[Path | None, typer.Option(help="Signed tree head (JSON).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Require the pack to be this tenant's.")] = None,
    period: Annotated[str | None, typer.Option(help="Require the pack to be of this period (YYYY-MM).")] = None,
    pack_id: Annotated[str | None, typer.Option("--pack-id", help="Require the pack to have this id.")] = None,
) -> None:
    """Verify a pack offline: every item against the manifest, the signature, inclusion under a signed tree head.

    Also binds the pack to what was asked for: the id in the file's name, and --tenant, --period and
    --pack-id when given, must be those the signed statement names.
    """
    public = platform_public_key(key)
    try:
        archive = pack.read_bytes()
    except OSError as exc:
        print(f"cannot read the pack: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    beside = pack.with_name(f"{pack.name}.dsse.json")
    signature = signature or (beside if beside.exists() else None)
    report = verify_pack(
        archive,
        public,
        read_json(signature, "signature") if signature else None,
        read_json(proof, "proof") if proof else None,
        read_json(tree_head, "tree head") if tree_head else None,
        file_name=pack.name,
        expected=Expected(tenant=tenant, period=period, pack_id=pack_id),
    )
    who = report.identity
    if who:
        said = "as signed" if report.identity_signed else "as its manifest says (unsigned)"
        print(f"pack {who['pack_id'] or '?'} of tenant {who['tenant'] or '?'}, period {who['period'] or '?'} ({said})")
    for name, ok, detail in report.checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
    missing = [
        what for what, given in (("signature", signature), ("proof", proof), ("tree head", tree_head)) if not given
    ]
    if missing:
        print(f"not checked (not given): {', '.join(missing)}")
    print(f"{pack.name}: {'VERIFIED' if report.ok and not missing else 'NOT VERIFIED'}")
    raise typer.Exit(0 if report.ok and not missing else 1)


@app.command()
def consistency(
    old_size: Annotated[int, typer.Argument(help="The older tree size an auditor holds a head of.")],
    out: Annotated[Path, typer.Option(help="Directory for the two signed heads and the proof.")] = Path("."),
) -> None:
    """Write the ledger's newest signed head, the head of OLD_SIZE and the consistency proof between them."""
    from evidence.store import consistency_documents

    files = asyncio.run(consistency_documents(old_size))
    out.mkdir(parents=True, exist_ok=True)
    for name, document in files.items():
        (out / name).write_text(json.dumps(document, indent=2))
        print(out / name)


@app.command("verify-consistency")
def verify_consistency_command(
    old_head: Annotated[Path, typer.Argument(help="The older signed tree head (JSON).")],
    new_head: Annotated[Path, typer.Argument(help="The newer signed tree head (JSON).")],
    proof: Annotated[Path, typer.Argument(help="The consistency proof (JSON).")],
    key: Annotated[Path, typer.Option(help="The platform's public key (PEM), obtained out of band.")],
) -> None:
    """Verify offline that the newer tree head only appended to the older one (no entry changed or removed)."""
    public = platform_public_key(key)
    old, new, path = read_json(old_head, "tree head"), read_json(new_head, "tree head"), read_json(proof, "proof")
    checks = [
        ("older tree head", verify_detached(public, str(old.get("signature", "")), head_message(old))),
        ("newer tree head", verify_detached(public, str(new.get("signature", "")), head_message(new))),
        ("sizes", path.get("old_size") == old.get("tree_size") and path.get("new_size") == new.get("tree_size")),
        ("consistency", check_consistency(old, new, path)),
    ]
    for name, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    good = all(ok for _, ok in checks)
    print(f"tree {old.get('tree_size')} -> {new.get('tree_size')}: {'CONSISTENT' if good else 'NOT CONSISTENT'}")
    raise typer.Exit(0 if good else 1)


@app.command()
def export(
    pack_id: Annotated[str, typer.Argument(help="The pack's id.")],
    out: Annotated[Path, typer.Option(help="Directory to write the pack and its proofs into.")] = Path("."),
) -> None:
    """Write a stored pack with its signature, inclusion proof, tree head and the platform's public key."""
    from evidence.store import export_pack

    files = asyncio.run(export_pack(pack_id))
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
        print(out / name)


@app.command()
def schedule(
    period: Annotated[str | None, typer.Option(help="YYYY-MM.", rich_help_panel="Period")] = None,
    last_month: Annotated[bool, typer.Option("--last-month", help="The month before this one.")] = False,
) -> None:
    """Request the period's pack for every tenant with evidence in it (run monthly by a CronJob)."""
    from evidence.store import request_packs

    if (period is None) == (not last_month):
        print("give exactly one of --period YYYY-MM and --last-month", file=sys.stderr)
        raise typer.Exit(2)
    if period is None:
        first = datetime.now(UTC).replace(day=1)
        period = (first - timedelta(days=1)).strftime("%Y-%m")
    if not re.match(PERIOD, period):
        print(f"--period {period!r}: expected YYYY-MM", file=sys.stderr)
        raise typer.Exit(2)
    tenants = asyncio.run(request_packs(period, str(uuid.uuid4())))
    print(f"requested the {period} pack of {len(tenants)} tenant(s): {', '.join(tenants) or '-'}")


def main() -> None:
    """Console entry point."""
    app()
