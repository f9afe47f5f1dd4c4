from datetime import UTC, datetime
from pathlib import Path

import pytest
from portal_api.billing import DEFAULT_PLANS, Plan, UsageMeter, invoice, invoice_id, load_plans, period_of
from portal_api.ui import money
from pydantic import ValidationError
from schemas.billing import InvoiceIssuedData

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PLAN = Plan(
    name="standard",
    currency="EUR",
    base_fee_minor=199000,
    included={"api_calls": 1000, "provenance_submissions": 10},
    overage_minor={"api_calls": 1, "provenance_submissions": 25, "pack_requests": 1500},
)


def test_an_invoice_is_the_base_fee_plus_each_meters_overage_in_minor_units():
    issued = invoice("acme", "2026-10", PLAN, {"api_calls": 1500, "provenance_submissions": 4, "pack_requests": 2}, NOW)
    lines = {line.meter: line for line in issued.data.lines}
    assert lines[None].amount_minor == 199000
    assert lines["api_calls"].amount_minor == 500  # 500 calls beyond 1,000 included, 1 cent each
    assert lines["provenance_submissions"].amount_minor == 0  # within the included 10
    assert lines["pack_requests"].amount_minor == 3000  # nothing included
    assert issued.data.total_minor == 199000 + 500 + 3000
    assert issued.data.currency == "EUR" and issued.tenantid == "acme"


def test_the_invoice_id_depends_only_on_tenant_and_period():
    a = invoice("acme", "2026-10", PLAN, {"api_calls": 1}, NOW)
    b = invoice("acme", "2026-10", PLAN, {"api_calls": 99999}, datetime(2027, 1, 1, tzinfo=UTC))
    assert a.id == b.id == a.data.invoice_id == invoice_id("acme", "2026-10")
    assert invoice_id("acme", "2026-11") != a.id != invoice_id("beta", "2026-10")


def test_the_portal_issues_totals_equal_to_their_lines_and_a_mismatched_invoice_still_arrives_for_the_board():
    issued = invoice("acme", "2026-10", PLAN, {"api_calls": 10**6, "pack_requests": 3}, NOW).data
    assert issued.total_minor == issued.lines_total_minor()
    # Another producer's bad total is carried, not refused: the board's reconciliation names it.
    bad = InvoiceIssuedData.model_validate({**issued.model_dump(), "total_minor": issued.total_minor + 1})
    assert bad.total_minor - bad.lines_total_minor() == 1


def test_usage_is_batched_per_tenant_meter_and_period_and_resent_with_the_same_ids_until_confirmed():
    meter = UsageMeter("portal-1", NOW)
    for _ in range(3):
        meter.count("acme", "api_calls", NOW)
    meter.count("acme", "pack_requests", NOW)
    meter.count("beta", "api_calls", datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC))
    first = meter.batch(datetime(2026, 12, 1, 0, 0, 5, tzinfo=UTC))
    assert sorted((e.tenantid, e.data.meter, e.data.period, e.data.quantity) for e in first) == [
        ("acme", "api_calls", "2026-11", 3),
        ("acme", "pack_requests", "2026-11", 1),
        ("beta", "api_calls", "2026-12", 1),
    ]
    meter.sent(first[:1])  # the rest failed to publish
    meter.count("acme", "api_calls", NOW)
    second = meter.batch(datetime(2026, 12, 1, 0, 0, 10, tzinfo=UTC))
    assert [e.id for e in second[:2]] == [e.id for e in first[1:]]  # same ids: deduplicated downstream
    assert len(second) == 3 and len({e.id for e in second}) == 3
    meter.sent(second)
    assert meter.batch(NOW) == []


def test_the_packaged_plans_load_and_a_bad_plan_is_refused(tmp_path: Path):
    plans = load_plans(DEFAULT_PLANS)
    assert {"starter", "standard", "enterprise"} <= set(plans)
    assert all(p.base_fee_minor > 0 and len(p.currency) == 3 for p in plans.values())
    bad = tmp_path / "plans.json"
    bad.write_text('{"gold": {"currency": "eur", "base_fee_minor": -1}}')
    with pytest.raises(ValidationError) as err:
        load_plans(bad)
    assert "currency" in str(err.value) and "base_fee_minor" in str(err.value)


def test_periods_and_money_formatting():
    assert period_of(datetime(2026, 1, 31, 23, 59, tzinfo=UTC)) == "2026-01"
    assert money(199000, "EUR") == "€1,990.00"
    assert money(1500, "JPY") == "JP¥1,500"  # no minor unit
