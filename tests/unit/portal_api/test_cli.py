from datetime import UTC, datetime

from portal_api.billing import period_of
from portal_api.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_invoice_refuses_a_malformed_period_naming_it():
    result = runner.invoke(app, ["invoice", "--period", "2026-13"])
    assert result.exit_code == 2 and "'2026-13' is not a calendar month" in result.output


def test_invoice_wants_exactly_one_of_period_and_last_month():
    assert "either --period YYYY-MM or --last-month" in runner.invoke(app, ["invoice"]).output
    both = runner.invoke(app, ["invoice", "--period", "2026-10", "--last-month"])
    assert both.exit_code == 2 and "either --period" in both.output


def test_invoice_refuses_a_month_that_is_not_over_unless_told():
    current = period_of(datetime.now(UTC))
    result = runner.invoke(app, ["invoice", "--period", current])
    assert result.exit_code == 2 and "is not over yet" in result.output and "--open-period" in result.output


def test_members_import_names_the_bad_entry(tmp_path):
    bad = tmp_path / "members.json"
    bad.write_text('[{"id": "x", "tenant_roles": {"acme": ["owner"]}}]')
    result = runner.invoke(app, ["members", "import", str(bad)])
    assert result.exit_code == 2 and "owner" in result.output
