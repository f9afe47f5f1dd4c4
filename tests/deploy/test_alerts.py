"""The alerts under promtool: the rules are valid (`promtool check rules`) and each alert fires on the
series it is for, with its labels and annotations, and stays quiet on normal ones (`promtool test rules`).

promtool is Debian's (prometheus 2.42), put in .local/bin by `make promtool` (k8s-validate depends on it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/k8s/base/alerts/prometheusrule.yaml"
TESTS = Path(__file__).parent / "alerts/alerts.test.yaml"


def promtool() -> str:
    found = shutil.which("promtool") or str(ROOT / ".local/bin/promtool")
    if not Path(found).exists():
        pytest.fail("promtool is missing: `make promtool` installs Debian's")
    return found


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """The PrometheusRule's groups as the plain rules file promtool reads, beside the test file."""
    spec = yaml.safe_load(RULES.read_text())["spec"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": spec["groups"]}, sort_keys=False))
    shutil.copy(TESTS, tmp_path / TESTS.name)
    return tmp_path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_the_alert_rules_are_valid_promql_and_prometheus_rules(rules_dir: Path):
    checked = run("check", "rules", "rules.yaml", cwd=rules_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_on_its_series_with_its_labels_and_annotations_and_not_on_normal_ones(rules_dir: Path):
    tested = run("test", "rules", TESTS.name, cwd=rules_dir)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_promtool_test_that_sees_it_fire():
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["spec"]["groups"] for r in g["rules"]}
    cases = yaml.safe_load(TESTS.read_text())["tests"]
    fired = {t["alertname"] for case in cases for t in case.get("alert_rule_test", []) if t["exp_alerts"]}
    assert alerts - fired == set(), f"alerts no test sees firing: {sorted(alerts - fired)}"


def test_the_promtool_tests_can_fail(rules_dir: Path):
    """Not vacuous: the same tests against rules with one threshold moved fail, naming the alert."""
    rules = rules_dir / "rules.yaml"
    rules.write_text(rules.read_text().replace("> 540", "> 5400"))
    tested = run("test", "rules", TESTS.name, cwd=rules_dir)
    assert tested.returncode != 0 and "EvidenceTimeToPackSlow" in tested.stdout + tested.stderr


def slug(heading: str) -> str:
    """A Markdown heading's anchor as GitHub makes it."""
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_of_every_prometheus_rule_links_a_runbook_section_that_exists():
    rules = [ROOT / "deploy/k8s/base/alerts/prometheusrule.yaml", ROOT / "deploy/k8s/base/slo/prometheusrule.yaml"]
    alerts = [r for path in rules for g in yaml.safe_load(path.read_text())["spec"]["groups"] for r in g["rules"]
              if "alert" in r]  # fmt: skip
    assert len(alerts) >= 16
    for alert in alerts:
        url = alert["annotations"].get("runbook_url", "")
        found = re.match(
            r"^https://github\.com/trust-portal/trust-portal/blob/main/(docs/runbooks/[a-z0-9-]+\.md)#(.+)$", url
        )
        assert found, f"{alert['alert']}: no runbook_url into docs/runbooks/ ({url!r})"
        path, anchor = found.groups()
        headings = {slug(h) for h in re.findall(r"^## (.+)$", (ROOT / path).read_text(), re.MULTILINE)}
        assert anchor in headings, (alert["alert"], url, sorted(headings))
