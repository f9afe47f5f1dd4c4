"""Reading a payment processor's or bank's export (CSV) into PaymentReceived events: pure, line-numbered errors.

The file has a header naming its columns (common aliases accepted, any order, unknown columns ignored
with a warning). Amounts come as decimal major units (`amount`: 1990.00 EUR) or integer minor units
(`amount_minor`: 199000); the currency's minor-unit exponent comes from CLDR (babel), so JPY has no
decimals and BHD three. A bad row is named by its line and reason; the other rows proceed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, is_currency
from schemas.billing import BILLING_KEY, PaymentReceived, PaymentReceivedData
from service_kit.csvfiles import records as csv_records

from board.errors import PaymentsFileError

SOURCE = "/services/board/payments-import"
PAYMENT_NAMESPACE = uuid.UUID("3d6f4a9e-8c1b-5e27-b0d4-9a1e6c2f7b30")
REQUIRED = ("payment_id", "invoice_id", "currency", "received_at")
COLUMNS = (*REQUIRED, "amount", "amount_minor", "method", "reference")
ALIASES = {
    "id": "payment_id",
    "payment": "payment_id",
    "transaction_id": "payment_id",
    "invoice": "invoice_id",
    "invoice_number": "invoice_id",
    "date": "received_at",
    "paid_at": "received_at",
    "created": "received_at",
    "value_date": "received_at",
    "payment_method": "method",
    "type": "method",
    "description": "reference",
    "memo": "reference",
}
MAX_FIELD_CHARS = 256
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Row:
    """One payment of the file, with the line it starts on."""

    line: int
    data: PaymentReceivedData


@dataclass(frozen=True)
class RowError:
    """A row that will not be imported, and why."""

    line: int
    payment_id: str
    reason: str


@dataclass
class PaymentsFile:
    """The payments to import, the rows refused, and warnings about the file."""

    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _header(cells: list[str], line: int) -> tuple[dict[str, int], list[str]]:
    names = [c.lower().replace(" ", "_").replace("-", "_") for c in cells]
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for i, name in enumerate(names):
        canonical = ALIASES.get(name, name)
        if canonical in COLUMNS and canonical not in columns:
            columns[canonical] = i
        else:
            unknown.append(cells[i])
    missing = [c for c in REQUIRED if c not in columns]
    if "amount" not in columns and "amount_minor" not in columns:
        missing.append("amount or amount_minor")
    if missing:
        raise PaymentsFileError(f"line {line}: the header lacks the column(s): {', '.join(missing)}")
    return columns, unknown


def minor_units(amount: str, currency: str) -> int:
    """Decimal major units of `currency` as integer minor units; ValueError naming the problem."""
    digits = get_currency_precision(currency)
    try:
        value = Decimal(amount.replace(",", "")) if amount.count(".") <= 1 else Decimal("nan")
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not a decimal amount") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not a decimal amount")
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount!r} has more than {digits} decimal(s), the minor units of {currency}")
    return int(scaled)


def received_at(text: str) -> datetime:
    """An ISO 8601 date (midnight UTC) or date-time with an offset; ValueError for a time without a zone."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (give an offset such as Z or +02:00, or a plain date)")
    return at.astimezone(UTC)


def _row(values: dict[str, str]) -> PaymentReceivedData:
    """One row's payment; ValueError with the field and reason."""
    currency = values["currency"].upper()
    if not is_currency(currency):
        raise ValueError(f"currency: {values['currency']!r} is not an ISO 4217 code")
    if values.get("amount_minor"):
        try:
            amount = int(values["amount_minor"])
        except ValueError:
            raise ValueError(f"amount_minor: {values['amount_minor']!r} is not a whole number") from None
    elif values.get("amount"):
        try:
            amount = minor_units(values["amount"], currency)
        except ValueError as exc:
            raise ValueError(f"amount: {exc}") from None
    else:
        raise ValueError("amount: missing")
    if amount <= 0:
        raise ValueError(f"amount: {amount} is not positive (refunds are not payments)")
    try:
        at = received_at(values["received_at"])
    except ValueError as exc:
        raise ValueError(f"received_at: {exc}") from None
    return PaymentReceivedData(
        payment_id=values["payment_id"],
        invoice_id=values["invoice_id"],
        amount_minor=amount,
        currency=currency,
        received_at=at,
        method=(values.get("method") or "unknown").lower().replace(" ", "_"),
        reference=values.get("reference", ""),
    )


def parse_payments(text: str) -> PaymentsFile:
    """Parse an export: a header, then one payment per row (quoted fields, BOM and CRLF handled)."""
    result = PaymentsFile()
    records, refused = csv_records(text)
    result.errors.extend(RowError(line, "", reason) for line, reason in refused)
    if len(records) > MAX_ROWS:
        raise PaymentsFileError(f"more than {MAX_ROWS:,} rows: split the export")
    if not records:
        raise PaymentsFileError("; ".join(f"line {e.line}: {e.reason}" for e in result.errors) or "the file is empty")
    header_line, header = records[0]
    columns, unknown = _header(header, header_line)
    if unknown:
        result.warnings.append(f"line {header_line}: column(s) ignored: {', '.join(unknown)}")
    seen: dict[str, tuple[int, PaymentReceivedData]] = {}
    for line, cells in records[1:]:
        payment_id = cells[columns["payment_id"]] if columns["payment_id"] < len(cells) else ""
        if len(cells) != len(header):
            result.errors.append(RowError(line, payment_id, f"expected {len(header)} fields, got {len(cells)}"))
            continue
        values = {name: cells[i] for name, i in columns.items()}
        long = [name for name, value in values.items() if len(value) > MAX_FIELD_CHARS]
        missing = [name for name in REQUIRED if not values[name]]
        if long or missing:
            why = f"{long[0]}: over {MAX_FIELD_CHARS} characters" if long else f"missing {' and '.join(missing)}"
            result.errors.append(RowError(line, payment_id[:60], why))
            continue
        try:
            data = _row(values)
        except ValueError as exc:
            result.errors.append(RowError(line, payment_id, str(exc)))
            continue
        if payment_id in seen:
            first, kept = seen[payment_id]
            same = "the same payment" if kept == data else "a different payment under the same id"
            result.errors.append(RowError(line, payment_id, f"payment {payment_id!r} already on line {first} ({same})"))
            continue
        seen[payment_id] = (line, data)
        result.rows.append(Row(line, data))
    return result


def payment_event_id(data: PaymentReceivedData) -> str:
    """The event id of a payment: derived from all it says, so a re-import of the same row is the same event.

    The same payment id with a different amount, currency, invoice or date is another event, which the
    reconciliation reports as a conflicting duplicate rather than silently dropping.
    """
    identity = "\n".join(
        (data.payment_id, data.invoice_id, str(data.amount_minor), data.currency, data.received_at.isoformat())
    )
    return str(uuid.uuid5(PAYMENT_NAMESPACE, identity))


def to_event(row: Row, tenant: str | None, now: datetime) -> PaymentReceived:
    """The PaymentReceived of a row, keyed by the invoice's tenant (BILLING_KEY when the invoice is unknown)."""
    return PaymentReceived.create(
        data=row.data,
        id=payment_event_id(row.data),
        source=SOURCE,
        tenantid=tenant or BILLING_KEY,
        subject=f"/invoices/{row.data.invoice_id}/payments/{row.data.payment_id}",
        time=now,
    )
