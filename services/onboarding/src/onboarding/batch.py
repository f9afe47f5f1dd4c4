"""Reading a cohort roster (tenants.csv) into tenant requests: pure, with line-numbered errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from schemas.tenant import MAX_FIELD_CHARS, TenantRequested, TenantRequestedData, tenant_key
from service_kit.csvfiles import records as csv_records

from onboarding.domain import Rules, validate
from onboarding.errors import RosterError

COLUMNS = ("tenant", "webhook", "display_name", "contact_email", "plan", "cohort")
REQUIRED = ("tenant", "webhook")
ALIASES = {"slug": "tenant", "webhook_url": "webhook", "name": "display_name", "email": "contact_email"}
REQUEST_NAMESPACE = uuid.UUID("0b7c8e52-5f0e-4d8e-9a55-7f3c1d2e4a61")
CLI_SOURCE = "/services/onboarding/cli"


@dataclass(frozen=True)
class Row:
    """One tenant of the roster, with the line it starts on."""

    line: int
    tenant: str
    webhook: str
    display_name: str = ""
    contact_email: str = ""
    plan: str = ""
    cohort: str = ""


@dataclass(frozen=True)
class RowError:
    """A row that will not be sent, and why."""

    line: int
    tenant: str
    reason: str


@dataclass
class Roster:
    """The rows to send, the rows refused, and warnings about the file."""

    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _header(cells: list[str]) -> dict[str, int] | None:
    names = [ALIASES.get(c.lower().replace(" ", "_"), c.lower().replace(" ", "_")) for c in cells]
    if "tenant" not in names:
        return None
    return {name: i for i, name in enumerate(names)}


def parse_roster(text: str) -> Roster:
    """Parse a roster: `tenant,webhook` rows, or a header naming columns from COLUMNS.

    Handles a UTF-8 BOM, CRLF, quoted commas and blank lines; every bad row becomes a RowError
    with its line number while the other rows proceed.
    """
    roster = Roster()
    records, refused = csv_records(text, skip_initial_space=True)
    roster.errors.extend(RowError(line, "", reason) for line, reason in refused)
    if not records:
        if roster.errors:
            raise RosterError("; ".join(f"line {e.line}: {e.reason}" for e in roster.errors))
        raise RosterError("the file has no rows")
    columns = _header(records[0][1])
    if columns is None:
        columns = {"tenant": 0, "webhook": 1}
        expected = 2
    else:
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise RosterError(f"line {records[0][0]}: header lacks required column(s): {', '.join(missing)}")
        unknown = [c for c in columns if c not in COLUMNS]
        if unknown:
            roster.warnings.append(f"line {records[0][0]}: unknown column(s) ignored: {', '.join(unknown)}")
        expected = len(records[0][1])
        records = records[1:]
    seen: dict[str, int] = {}
    for line, cells in records:
        tenant = cells[columns["tenant"]] if columns["tenant"] < len(cells) else ""
        if len(cells) > expected:
            roster.errors.append(RowError(line, tenant, f"expected {expected} fields, got {len(cells)}"))
            continue
        values = {name: (cells[i] if i < len(cells) else "") for name, i in columns.items() if name in COLUMNS}
        long = [name for name, value in values.items() if len(value) > MAX_FIELD_CHARS]
        if long:
            roster.errors.append(RowError(line, tenant[:60], f"{long[0]}: over {MAX_FIELD_CHARS} characters"))
            continue
        missing = [c for c in REQUIRED if not values.get(c)]
        if missing:
            roster.errors.append(RowError(line, tenant, f"missing {' and '.join(missing)}"))
            continue
        if tenant in seen:
            roster.errors.append(RowError(line, tenant, f"tenant {tenant!r} already on line {seen[tenant]}"))
            continue
        seen[tenant] = line
        roster.rows.append(Row(line=line, **values))
    return roster


def to_request(row: Row, *, cohort: str, plan: str, now: datetime) -> TenantRequested:
    """The intake command for a row, with an id derived from the row's content.

    A rerun of the same file sends the same ids, and the service treats them as the requests it
    already has.
    """
    data = TenantRequestedData(
        slug=row.tenant,
        display_name=row.display_name,
        webhook_url=row.webhook,
        contact_email=row.contact_email,
        plan=row.plan or plan,
        cohort=cohort or row.cohort or "default",
        requested_at=now,
    )
    identity = "\n".join((data.cohort, data.slug, data.webhook_url, data.display_name, data.contact_email, data.plan))
    return TenantRequested.create(
        data=data,
        id=str(uuid.uuid5(REQUEST_NAMESPACE, identity)),
        source=CLI_SOURCE,
        tenantid=tenant_key(row.tenant),
        subject=row.tenant,
        time=now,
    )


def check(roster: Roster, requests: list[TenantRequested], rules: Rules) -> list[TenantRequested]:
    """Keep the requests the service would accept; refuse the rest in `roster.errors`."""
    good: list[TenantRequested] = []
    lines = {row.tenant: row.line for row in roster.rows}
    for request in requests:
        problems = validate(request.data, rules)
        if problems:
            reason = "; ".join(f"{p.field}: {p.reason}" for p in problems)
            roster.errors.append(RowError(lines[request.data.slug], request.data.slug, reason))
        else:
            good.append(request)
    roster.errors.sort(key=lambda e: e.line)
    return good
