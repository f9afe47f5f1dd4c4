"""Reading a payments export: aliases and formats accepted, every bad row named by line while the rest proceed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from board.errors import PaymentsFileError
from board.payments import minor_units, parse_payments, payment_event_id, to_event
from schemas.billing import BILLING_KEY


def test_an_export_with_aliases_quotes_a_bom_and_crlf_becomes_payments_in_minor_units():
    text = (
        "\ufeffTransaction ID,Invoice,Amount,Currency,Paid At,Payment Method,Description,Fee\r\n"
        'ch_1,inv-1,"1,990.00",eur,2026-05-03T10:15:00+02:00,Card,"May, standard plan",12\r\n'
        "ch_2,inv-2,5000,JPY,2026-05-04,bank transfer,,0\r\n"
        "ch_3,inv-3,12.345,BHD,2026-05-05T00:00:00Z,wire,,0\r\n"
    )
    parsed = parse_payments(text)
    assert parsed.errors == []
    assert parsed.warnings == ["line 1: column(s) ignored: Fee"]
    got = [(r.line, r.data.payment_id, r.data.amount_minor, r.data.currency, r.data.method) for r in parsed.rows]
    assert got == [
        (2, "ch_1", 199000, "EUR", "card"), (3, "ch_2", 5000, "JPY", "bank_transfer"),
        (4, "ch_3", 12345, "BHD", "wire"),
    ]  # fmt: skip
    assert parsed.rows[0].data.received_at == datetime(2026, 5, 3, 8, 15, tzinfo=UTC)
    assert parsed.rows[0].data.reference == "May, standard plan"
    assert parsed.rows[1].data.received_at == datetime(2026, 5, 4, tzinfo=UTC)


def test_each_bad_row_is_named_by_line_and_reason_and_the_good_rows_proceed():
    text = "\n".join([
        "payment_id,invoice_id,amount,currency,received_at,method",
        "p1,inv-1,10.00,EUR,2026-05-01,card",
        "p2,inv-1,ten,EUR,2026-05-01,card",
        "p3,inv-1,10.001,EUR,2026-05-01,card",
        "p4,inv-1,10.00,EURO,2026-05-01,card",
        "p5,inv-1,10.00,XXY,2026-05-01,card",
        "p6,inv-1,10.00,EUR,2026-05-01T10:00:00,card",
        "p7,,10.00,EUR,2026-05-01,card",
        "p8,inv-1,-3.00,EUR,2026-05-01,card",
        "p9,inv-1,10.00,EUR,2026-05-01",
        "p1,inv-1,10.00,EUR,2026-05-01,card",
        "p1,inv-9,99.00,EUR,2026-05-01,card",
        '"p10,inv-1,10.00,EUR,2026-05-01,card',
    ])  # fmt: skip
    parsed = parse_payments(text)
    assert [r.data.payment_id for r in parsed.rows] == ["p1"]
    reasons = {(e.line, e.payment_id): e.reason for e in parsed.errors}
    assert reasons[(3, "p2")] == "amount: 'ten' is not a decimal amount"
    assert reasons[(4, "p3")] == "amount: '10.001' has more than 2 decimal(s), the minor units of EUR"
    assert reasons[(5, "p4")].startswith("currency: 'EURO'")
    assert reasons[(6, "p5")] == "currency: 'XXY' is not an ISO 4217 code"
    assert "has no time zone" in reasons[(7, "p6")]
    assert reasons[(8, "p7")] == "missing invoice_id"
    assert reasons[(9, "p8")] == "amount: -300 is not positive (refunds are not payments)"
    assert reasons[(10, "p9")] == "expected 6 fields, got 5"
    assert reasons[(11, "p1")] == "payment 'p1' already on line 2 (the same payment)"
    assert reasons[(12, "p1")] == "payment 'p1' already on line 2 (a different payment under the same id)"
    assert any(line == 13 for line, _ in reasons), reasons  # an unterminated quote is named by the line it opens on


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("payment_id,invoice_id,currency,received_at\np,i,EUR,2026-05-01\n", "amount or amount_minor"),
        ("id,amount,currency\np,1.00,EUR\n", "invoice_id, received_at"),
    ],
)
def test_a_file_that_cannot_be_trusted_at_all_is_refused_naming_what_is_missing(text, problem):
    with pytest.raises(PaymentsFileError, match=problem):
        parse_payments(text)


def test_a_rerun_of_the_same_row_is_the_same_event_and_a_changed_row_is_another():
    header = "payment_id,invoice_id,amount_minor,currency,received_at,method\n"
    first = parse_payments(header + "p1,inv-1,1000,EUR,2026-05-01,card\n").rows[0]
    again = parse_payments(header + "p1,inv-1,1000,EUR,2026-05-01,card\n").rows[0]
    changed = parse_payments(header + "p1,inv-1,1100,EUR,2026-05-01,card\n").rows[0]
    assert payment_event_id(first.data) == payment_event_id(again.data)
    assert payment_event_id(first.data) != payment_event_id(changed.data)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert to_event(first, "acme", now).tenantid == "acme"
    assert to_event(first, None, now).tenantid == BILLING_KEY
    assert to_event(first, "acme", now).id == to_event(again, "acme", now).id


def test_major_units_convert_by_the_currencys_own_exponent():
    assert minor_units("1990", "EUR") == 199000
    assert minor_units("1990", "JPY") == 1990
    assert minor_units("1.5", "KWD") == 1500
    with pytest.raises(ValueError, match="more than 0 decimal"):
        minor_units("1.5", "JPY")
    with pytest.raises(ValueError, match="not a decimal"):
        minor_units("1.2.3", "EUR")
    with pytest.raises(ValueError, match="not a decimal"):
        minor_units("Infinity", "EUR")
