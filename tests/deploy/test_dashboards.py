"""The Grafana dashboards as code: the committed files are what deploy/grafana/generate.py makes, each one
validates against Grafana's dashboard JSON Schema (vendored in deploy/grafana/schema/), every panel's PromQL
parses (promtool), every metric a panel names is one the services export or the SLO rules record, and the
dashboards ship to Kubernetes as ConfigMaps for Grafana's dashboard sidecar."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.test_alerts import promtool
from tests.deploy.test_k8s import exported_metrics, render

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "deploy/k8s/base/dashboards"
SCHEMA = json.loads((ROOT / "deploy/grafana/schema/dashboard.schema.json").read_text())
SLO_RULES = ROOT / "deploy/slo/generated/rules.yaml"
# The dashboards' own variables, as a query would see them once Grafana has interpolated it.
VARIABLES = {"$__rate_interval": "5m", '"$cohort"': '".*"', '"$pool"': '".*"', '"$group"': '".*"'}


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))}


def expressions(board: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard: its panels' targets."""
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def interpolated(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def test_the_committed_dashboards_are_what_the_code_generates():
    done = subprocess.run([sys.executable, str(ROOT / "deploy/grafana/generate.py"), "--check"],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_there_is_a_dashboard_for_each_thing_the_seed_names():
    titles = {b["title"] for b in dashboards().values()}
    assert titles == {f"Trust Portal / {t}" for t in (
        "Cohort progress", "Portal availability and error budget", "Auth errors", "SLSA adoption and runner queues",
        "Evidence SLOs", "Board pack completeness", "Kafka lag and dead letters", "SLOs")}  # fmt: skip


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_each_dashboard_validates_against_grafanas_dashboard_schema(name: str):
    board = dashboards()[name]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(board)]
    assert not errors, errors
    assert len(board["panels"]) >= 4 and all(p["type"] in {"row", "stat", "timeseries", "bargauge"}
                                             for p in board["panels"])  # fmt: skip


def test_the_schema_refuses_a_malformed_dashboard():
    board = copy.deepcopy(next(iter(dashboards().values())))
    board["panels"][1]["gridPos"] = {"h": "eight", "w": 12, "x": 0, "y": 0}
    board["refresh"] = 60
    assert len(list(jsonschema.Draft7Validator(SCHEMA).iter_errors(board))) == 2


def test_every_panels_promql_parses(tmp_path: Path):
    rules = [{"record": f"dashboard:{name.removesuffix('.json').replace('-', '_')}:panel{n}",
              "expr": interpolated(expr)}
             for name, board in dashboards().items() for n, expr in enumerate(expressions(board))]  # fmt: skip
    leftover = [r["expr"] for r in rules if re.search(r"\$(?!\{1\})", r["expr"])]
    assert not leftover, f"a variable the test does not know: {leftover}"
    (tmp_path / "panels.yaml").write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    checked = subprocess.run([promtool(), "check", "rules", "panels.yaml"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout


def test_promtool_refuses_a_panel_that_does_not_parse(tmp_path: Path):
    broken = {"groups": [{"name": "panels", "rules": [{"record": "x", "expr": "sum by (le (rate(x[5m]))"}]}]}
    (tmp_path / "panels.yaml").write_text(yaml.safe_dump(broken))
    checked = subprocess.run([promtool(), "check", "rules", "panels.yaml"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120, check=False)  # fmt: skip
    assert checked.returncode != 0


def test_every_metric_a_dashboard_names_is_exported_by_a_service_or_recorded_by_the_slo_rules():
    exported = exported_metrics()
    recorded = {r["record"] for g in yaml.safe_load(SLO_RULES.read_text())["groups"] for r in g["rules"]
                if "record" in r}  # fmt: skip
    for name, board in dashboards().items():
        variables = [v["query"] for v in board["templating"]["list"] if v["type"] == "query"]
        text = " ".join([*expressions(board), *variables])
        used = {re.sub(r"_(bucket|count|sum)$", "", m) for m in re.findall(r"trustportal_[a-z0-9_]+", text)}
        rules = set(re.findall(r"\bslo:[a-z0-9_:]+", text))
        assert used or rules, name
        assert used <= exported, (name, used - exported)
        assert rules <= recorded, (name, rules - recorded)


def test_every_dashboard_ships_as_a_configmap_for_grafanas_sidecar():
    shipped = {}
    for doc in render("prod"):
        if doc["kind"] == "ConfigMap" and doc["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            shipped.update({k: json.loads(v) for k, v in doc["data"].items()})
    assert shipped == dashboards()
