from datetime import UTC, datetime

import pytest
from onboarding.batch import check, parse_roster, to_request
from onboarding.domain import Rules
from onboarding.errors import RosterError

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_the_seeds_minimal_form_has_no_header():
    roster = parse_roster("acme,https://a.example/h\nbeta,https://b.example/h\n")
    assert [(r.line, r.tenant, r.webhook) for r in roster.rows] == [
        (1, "acme", "https://a.example/h"),
        (2, "beta", "https://b.example/h"),
    ]


def test_real_world_csv_bom_crlf_quotes_and_blank_lines():
    text = (
        "\ufeffTenant,Webhook URL,Display Name\r\n"
        'acme,https://a.example/h?x=1,"Acme, Inc."\r\n'
        "\r\n"
        '"beta","https://b.example/h","Beta ""B"" Ltd"\r\n'
    )
    roster = parse_roster(text)
    assert roster.errors == []
    assert [(r.line, r.tenant, r.display_name) for r in roster.rows] == [
        (2, "acme", "Acme, Inc."),
        (4, "beta", 'Beta "B" Ltd'),
    ]


def test_bad_rows_are_reported_with_line_numbers_while_good_rows_proceed():
    text = "tenant,webhook\nacme,https://a.example\n,https://x.example\nbeta\nacme,https://c.example\ngamma,https://g.example,extra\ndelta,https://d.example\n"
    roster = parse_roster(text)
    assert [r.tenant for r in roster.rows] == ["acme", "delta"]
    assert [(e.line, e.reason) for e in roster.errors] == [
        (3, "missing tenant"),
        (4, "missing webhook"),
        (5, "tenant 'acme' already on line 2"),
        (6, "expected 2 fields, got 3"),
    ]


def test_a_multiline_quoted_field_keeps_the_start_line():
    roster = parse_roster(
        'tenant,webhook,display_name\nacme,https://a.example,"two\nlines"\nbeta,https://b.example,B\n'
    )
    assert [(r.line, r.tenant) for r in roster.rows] == [(2, "acme"), (4, "beta")]


def test_a_header_without_the_required_columns_is_an_error_for_the_whole_file():
    with pytest.raises(RosterError, match="webhook"):
        parse_roster("tenant,display_name\nacme,Acme\n")


def test_unknown_columns_are_ignored_with_a_warning():
    roster = parse_roster("tenant,webhook,region\nacme,https://a.example,eu\n")
    assert roster.rows[0].tenant == "acme" and "region" in roster.warnings[0]


def test_an_empty_file_is_an_error():
    with pytest.raises(RosterError, match="no rows"):
        parse_roster("\n\n")


def test_rows_the_service_would_reject_are_refused_before_sending_with_the_reason():
    roster = parse_roster("acme,https://a.example/h\nBad Slug,https://b.example/h\nbeta,http://b.example/h\n")
    requests = [to_request(r, cohort="c1", plan="standard", now=NOW) for r in roster.rows]
    good = check(roster, requests, Rules())
    assert [r.data.slug for r in good] == ["acme"]
    assert [(e.line, e.tenant) for e in roster.errors] == [(2, "Bad Slug"), (3, "beta")]
    assert "slug:" in roster.errors[0].reason and "webhook_url:" in roster.errors[1].reason


def test_rerunning_the_same_file_gives_the_same_request_ids():
    row = parse_roster("acme,https://a.example/h\n").rows[0]
    first = to_request(row, cohort="c1", plan="standard", now=NOW)
    later = to_request(row, cohort="c1", plan="standard", now=datetime.now(UTC))
    assert first.id == later.id
    assert to_request(row, cohort="c2", plan="standard", now=NOW).id != first.id


def test_a_cell_over_the_field_limits_is_a_row_error_and_the_other_rows_proceed():
    huge = "x" * 200_000  # over the CSV reader's own field limit
    long = "y" * 3_000  # over what a request field may hold
    text = ("tenant,webhook,display_name\n"
            "acme,https://hooks.acme.example/h,Acme\n"
            f'"{huge}",https://b.example/h,B\n'
            f"bluefin,https://hooks.bluefin.example/h,{long}\n"
            "cobalt,https://hooks.cobalt.example/h,Cobalt\n")  # fmt: skip
    roster = parse_roster(text)
    assert [r.tenant for r in roster.rows] == ["acme", "cobalt"]
    assert [(e.line, e.reason.split(":")[0]) for e in sorted(roster.errors, key=lambda e: e.line)] == [
        (3, "malformed CSV"),
        (4, "display_name"),
    ]
    assert "over 2048 characters" in next(e.reason for e in roster.errors if e.line == 4)
