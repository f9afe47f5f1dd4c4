"""The seed's "alerts <= 1/day": a week of normal operation (tests/deploy/week.py, series shaped like the
benchmarks' load) replayed through promtool fires no alert, and the same week with two incidents fires
exactly the alerts those incidents are for, well within seven a week.

Every alert rule (deploy/k8s/base/alerts and the SLO burn alerts) is evaluated every five minutes over the
week, with the recording rules they read; alert episodes are counted from promtool's ALERTS series.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.test_alerts import promtool
from tests.deploy.week import END, STEP_S, week

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy/k8s/base/alerts/prometheusrule.yaml"
SLO_RULES = ROOT / "deploy/slo/generated/rules.yaml"
# Episodes: the steps at which an alert is firing and was not one step before.
EPISODES = (
    'sum by (alertname, severity) (sum_over_time((ALERTS{alertstate="firing"} unless '
    f'ALERTS{{alertstate="firing"}} offset {STEP_S}s)[7d:{STEP_S}s]))'
)


def alerting_rules() -> list[dict[str, Any]]:
    """Every alert, with the recording rules its expression reads (transitively) and no others."""
    groups = [*yaml.safe_load(ALERTS.read_text())["spec"]["groups"], *yaml.safe_load(SLO_RULES.read_text())["groups"]]
    rules = [r for g in groups for r in g["rules"]]
    records = {r["record"]: r for r in rules if "record" in r}
    wanted = [r for r in rules if "alert" in r]
    needed: dict[int, dict[str, Any]] = {}
    todo = [r["expr"] for r in wanted]
    while todo:
        for name in set(re.findall(r"[a-z_]+:[a-z0-9_:]+", todo.pop())) & set(records):
            for rule in (r for r in rules if r.get("record") == name):
                if id(rule) not in needed:
                    needed[id(rule)] = rule
                    todo.append(rule["expr"])
    return [*needed.values(), *wanted]


def replay(tmp_path: Path, *, incidents: bool, expected: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    rules = alerting_rules()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "replay", "rules": rules}]}))
    test = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": f"{STEP_S}s",
        "tests": [{
            "interval": f"{STEP_S}s",
            "input_series": week(incidents=incidents).input_series(),
            "promql_expr_test": [{"expr": EPISODES, "eval_time": f"{END * STEP_S}s", "exp_samples": expected}],
        }],
    }  # fmt: skip
    (tmp_path / "week.test.yaml").write_text(yaml.safe_dump(test, width=1 << 30))
    return subprocess.run([promtool(), "test", "rules", "week.test.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=900, check=False)  # fmt: skip


def test_a_normal_week_fires_no_alert(tmp_path: Path):
    done = replay(tmp_path, incidents=False, expected=[])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_a_week_with_an_outage_and_a_failing_cohort_fires_only_their_alerts_within_one_a_day(tmp_path: Path):
    episodes = {("PortalAvailabilityBudgetBurn", "page"): 1, ("PortalAvailabilityBudgetBurn", "ticket"): 1,
                ("CohortFailureRateHigh", "ticket"): 1}  # fmt: skip
    assert sum(episodes.values()) <= 7  # and the count is not vacuous: a quiet week would fail here
    fired = [{"labels": f'{{alertname="{name}", severity="{severity}"}}', "value": n}
             for (name, severity), n in episodes.items()]  # fmt: skip
    done = replay(tmp_path, incidents=True, expected=fired)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
