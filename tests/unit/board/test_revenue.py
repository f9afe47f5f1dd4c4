"""The revenue report on plain data: MRR and its movements, money per currency, ageing, and reconciliation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from board.revenue import bucket, revenue_report
from hypothesis import given
from hypothesis import strategies as st
from service_kit.periods import Period

from tests.unit.board.factories import invoice, payment

MAY = Period.month(2026, 5)
END_OF_MAY = MAY.end


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def test_each_tenants_mrr_movement_is_named_and_the_movements_add_up_to_the_months_mrr():
    invoices = [
        invoice("new-co", "2026-05", 49000, plan="starter", issued_at=at(6, 1)),
        invoice("grower", "2026-04", 49000, plan="starter", issued_at=at(5, 1)),
        invoice("grower", "2026-05", 199000, issued_at=at(6, 1)),
        invoice("shrinker", "2026-04", 890000, plan="enterprise", issued_at=at(5, 1)),
        invoice("shrinker", "2026-05", 199000, issued_at=at(6, 1)),
        invoice("leaver", "2026-04", 199000, issued_at=at(5, 1)),
        invoice("returner", "2026-03", 49000, plan="starter", issued_at=at(4, 1)),
        invoice("returner", "2026-05", 49000, plan="starter", issued_at=at(6, 1)),
        invoice("steady", "2026-04", 199000, overage=500, issued_at=at(5, 1)),
        invoice("steady", "2026-05", 199000, overage=9000, issued_at=at(6, 1)),
    ]
    report = revenue_report(invoices, [], MAY, at(6, 20) + timedelta(days=400))
    moves = {t.tenant: t.movement for t in report.tenants}
    assert moves == {
        "new-co": "new", "grower": "expansion", "shrinker": "contraction", "leaver": "churned",
        "returner": "reactivation", "steady": "unchanged",
    }  # fmt: skip
    (eur,) = report.mrr
    assert eur.mrr_minor == 49000 + 199000 + 199000 + 49000 + 199000  # overage is usage, not recurring
    assert eur.previous_minor == 49000 + 890000 + 199000 + 199000
    assert (eur.new_minor, eur.reactivation_minor, eur.expansion_minor) == (49000, 49000, 150000)
    assert (eur.contraction_minor, eur.churned_minor) == (691000, 199000)
    assert eur.mrr_minor == (
        eur.previous_minor + eur.new_minor + eur.reactivation_minor + eur.expansion_minor
        - eur.contraction_minor - eur.churned_minor
    )  # fmt: skip
    assert eur.customers == 5
    assert eur.by_plan == {"standard": 199000 * 3, "starter": 49000 * 2}


def test_amounts_in_two_currencies_are_never_summed_together():
    invoices = [
        invoice("acme", "2026-05", 199000, issued_at=at(5, 3), currency="EUR"),
        invoice("globex", "2026-05", 250000, issued_at=at(5, 3), currency="USD"),
    ]
    payments = [payment("p1", "inv-acme-2026-05", 199000, at(5, 10)), payment("p2", "inv-globex-2026-05", 100000,
                at(5, 11), currency="USD")]  # fmt: skip
    report = revenue_report(invoices, payments, MAY, END_OF_MAY)
    assert [(m.currency, m.mrr_minor) for m in report.mrr] == [("EUR", 199000), ("USD", 250000)]
    assert [(a.currency, a.amount_minor) for a in report.invoiced] == [("EUR", 199000), ("USD", 250000)]
    assert [(a.currency, a.amount_minor) for a in report.collected] == [("EUR", 199000), ("USD", 100000)]
    assert [(a.currency, a.total_minor) for a in report.outstanding] == [("USD", 150000)]


def test_hostile_billing_input_is_each_reported_with_its_reason_and_no_payment_is_lost():
    invoices = [
        invoice("acme", "2026-04", 199000, issued_at=at(5, 1)),
        invoice("globex", "2026-04", 49000, plan="starter", issued_at=at(5, 1)),
        invoice("initech", "2026-04", 890000, plan="enterprise", issued_at=at(5, 1)),
        invoice("umbrella", "2026-04", 49000, plan="starter", issued_at=at(5, 1)),
        invoice("hooli", "2026-04", 199000, issued_at=at(5, 1), total=205000),  # lines do not add up
    ]
    payments = [
        payment("pay-1", "inv-acme-2026-04", 199000, at(5, 5), tenant="acme"),
        payment("pay-2", "inv-acme-2026-04", 199000, at(5, 6), tenant="acme"),  # charged twice
        payment("pay-3", "inv-nobody", 1000, at(5, 7)),  # no such invoice
        payment("pay-4", "inv-globex-2026-04", 49000, at(5, 8), currency="USD"),  # wrong currency
        payment("pay-5", "inv-initech-2026-04", 500000, at(5, 9)),  # partial
        payment("pay-6", "inv-umbrella-2026-04", 60000, at(5, 9)),  # too much
        payment("pay-7", "inv-hooli-2026-04", 205000, at(5, 9)),
        payment("pay-7", "inv-hooli-2026-04", 250000, at(5, 10)),  # same id, other content
    ]
    report = revenue_report(invoices, payments, MAY, END_OF_MAY)
    found = {(i.kind, i.payment_id or i.invoice_id): i.reason for i in report.issues}
    assert set(found) == {
        ("duplicate", "pay-2"), ("unmatched", "pay-3"), ("currency-mismatch", "pay-4"),
        ("partial", "inv-initech-2026-04"), ("over-payment", "inv-umbrella-2026-04"),
        ("lines-mismatch", "inv-hooli-2026-04"), ("duplicate", "pay-7"),
    }  # fmt: skip
    assert "payment pay-1 already settled" in found[("duplicate", "pay-2")]
    assert "no invoice inv-nobody on record for €10.00" in found[("unmatched", "pay-3")]
    assert "paid $490.00 against an invoice in EUR" in found[("currency-mismatch", "pay-4")]
    assert "€5,000.00 of €8,900.00 paid; €3,900.00 outstanding" in found[("partial", "inv-initech-2026-04")]
    assert "€600.00 paid against €490.00: €110.00 too much" in found[("over-payment", "inv-umbrella-2026-04")]
    assert (
        "total €2,050.00 but its 1 line(s) add up to €1,990.00 (difference €60.00)"
        in found[("lines-mismatch", "inv-hooli-2026-04")]
    )
    assert "imported twice with different content" in found[("duplicate", "pay-7")]
    # Nothing lost: every distinct payment is money collected, in its own currency.
    collected = {a.currency: a.amount_minor for a in report.collected}
    assert collected == {"EUR": 199000 * 2 + 1000 + 500000 + 60000 + 205000, "USD": 49000}
    status = {s.invoice_id: s.status for s in report.invoices}
    assert status == {
        "inv-acme-2026-04": "paid", "inv-globex-2026-04": "outstanding", "inv-initech-2026-04": "partial",
        "inv-umbrella-2026-04": "over-paid", "inv-hooli-2026-04": "paid",
    }  # fmt: skip


def test_outstanding_money_is_aged_by_days_since_issue_and_overdue_after_the_terms():
    as_of = at(5, 31)
    invoices = [
        invoice(f"t{days}", "2026-01", 1000 * days, issued_at=as_of - timedelta(days=days), ident=f"i{days}")
        for days in (10, 45, 75, 120)
    ]
    report = revenue_report(invoices, [payment("p", "i45", 5000, at(5, 20))], MAY, as_of, terms_days=30)
    (eur,) = report.outstanding
    assert eur.buckets == {"0-30": 10000, "31-60": 40000, "61-90": 75000, "90+": 120000}
    assert eur.total_minor == sum(eur.buckets.values())
    assert eur.overdue_minor == 40000 + 75000 + 120000
    assert {s.invoice_id: s.overdue for s in report.invoices} == {"i10": False, "i45": True, "i75": True, "i120": True}
    assert [bucket(d) for d in (0, 30, 31, 60, 61, 90, 91)] == ["0-30", "0-30", "31-60", "31-60", "61-90", "61-90",
                                                                "90+"]  # fmt: skip


def test_the_report_holds_only_what_was_on_record_by_its_date():
    invoices = [invoice("acme", "2026-04", 199000, issued_at=at(5, 1)), invoice("acme", "2026-05", 199000,
                issued_at=at(6, 1))]  # fmt: skip
    payments = [payment("early", "inv-acme-2026-04", 100000, at(5, 10)), payment("late", "inv-acme-2026-04", 99000,
                at(5, 25))]  # fmt: skip
    mid_may = revenue_report(invoices, payments, MAY, at(5, 15))
    assert mid_may.as_of == at(5, 15)
    assert mid_may.sources == {"invoices": 1, "payments": 1}
    assert [(s.invoice_id, s.due_minor) for s in mid_may.invoices] == [("inv-acme-2026-04", 99000)]
    assert mid_may.invoices_for_period == 0  # May's invoices go out in June
    later = revenue_report(invoices, payments, MAY, at(9, 1))
    assert later.as_of == END_OF_MAY  # a closed month is reported as of its end
    assert later.sources == {"invoices": 1, "payments": 2}


def test_only_a_month_has_a_revenue_report():
    with pytest.raises(ValueError, match="per month"):
        revenue_report([], [], Period.quarter(2026, 2), END_OF_MAY)


PLANS = st.sampled_from([0, 49000, 199000, 890000])


@given(st.lists(st.tuples(PLANS, PLANS, st.booleans()), max_size=30))
def test_mrr_movements_always_reconcile_the_two_months(tenants):
    invoices = []
    for n, (april, may, had_march) in enumerate(tenants):
        if had_march:
            invoices.append(invoice(f"t{n}", "2026-03", 49000, issued_at=at(4, 1)))
        if april:
            invoices.append(invoice(f"t{n}", "2026-04", april, issued_at=at(5, 1)))
        if may:
            invoices.append(invoice(f"t{n}", "2026-05", may, issued_at=at(5, 31)))
    for m in revenue_report(invoices, [], MAY, END_OF_MAY).mrr:
        assert m.mrr_minor == (
            m.previous_minor + m.new_minor + m.reactivation_minor + m.expansion_minor
            - m.contraction_minor - m.churned_minor
        )  # fmt: skip
