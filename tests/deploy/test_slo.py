"""The SLOs as code: the committed rules are what `make slo` makes of deploy/slo/*.yaml, promtool accepts
them, and the portal availability burn alert pages on an outage and not on normal traffic (every alert's
runbook link is checked in test_alerts.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "deploy/slo/generated/rules.yaml"
TESTS = Path(__file__).parent / "alerts/slo.test.yaml"


def tool(name: str) -> str:
    found = shutil.which(name) or str(ROOT / ".local/bin" / name)
    if not Path(found).exists():
        pytest.fail(f"{name} is missing: `make {name}` installs it")
    return found


def test_the_committed_slo_rules_are_what_the_specs_generate():
    done = subprocess.run([sys.executable, str(ROOT / "deploy/slo/generate.py"), "--sloth", tool("sloth"), "--check"],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout


def test_one_slo_per_spec_each_with_its_page_and_ticket_burn_alerts():
    specs = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "deploy/slo").glob("*.yaml"))]
    names = {s["metadata"]["name"] for s in specs}
    assert names == {"portal-availability", "portal-latency", "evidence-time-to-pack",
                     "onboarding-time-to-first-verify", "verdict-latency"}  # fmt: skip
    alerts = [r for g in yaml.safe_load(GENERATED.read_text())["groups"] for r in g["rules"] if "alert" in r]
    for name in names:
        severities = sorted(a["labels"]["severity"] for a in alerts if a["labels"]["slo"] == name)
        assert severities == ["page", "ticket"], name


def test_promtool_accepts_the_generated_rules_and_the_burn_alert_pages_only_on_an_outage(tmp_path: Path):
    shutil.copy(GENERATED, tmp_path / "rules.yaml")
    shutil.copy(TESTS, tmp_path / TESTS.name)
    promtool = tool("promtool")
    checked = subprocess.run([promtool, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool, "test", "rules", TESTS.name], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_slos_fast_burn_page_can_fire():
    """The page's 14.4x burn over an hour needs an error ratio of 14.4 x the budget: below 1, or it never pages."""
    for path in sorted((ROOT / "deploy/slo").glob("*.yaml")):
        [objective] = yaml.safe_load(path.read_text())["spec"]["objectives"]
        assert 14.4 * (1 - objective["target"]) < 1, path.name
