"""The workflows (.github/workflows and the partners' deploy/ci/org.release.hermetic.yml), beyond what
actionlint checks in `make lint`: every action pinned by commit, CI's required check gating on every job,
one run per ref, and the hermetic workflow's concurrency group, telemetry and verdict gate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.trees import strings_under

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted([*(ROOT / ".github/workflows").glob("*.yml"), *(ROOT / "deploy/ci").glob("*.yml")])
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1): given back under "on", as GitHub reads it.
    return {("on" if key is True else key): value for key, value in yaml.safe_load(path.read_text()).items()}


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_there_are_the_ci_the_release_and_the_hermetic_workflows():
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "release.yml", "org.release.hermetic.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_and_reusable_workflow_is_pinned_by_commit_with_its_version_beside_it(path: Path):
    named = list(strings_under(load(path), "uses"))
    assert named, "a workflow with no actions"
    assert [u for u in named if not PINNED.fullmatch(u)] == []
    text = path.read_text()
    for action in named:
        assert re.search(re.escape(action) + r" # v\d", text), f"{action}: no `# vX.Y.Z` comment naming the version"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_starts_read_only_and_every_job_has_a_timeout(path: Path):
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert "uses" in job or "timeout-minutes" in job, f"{name}: no timeout-minutes"


def test_ci_runs_once_per_ref_and_its_required_check_gates_on_every_other_job():
    ci = load(ROOT / ".github/workflows/ci.yml")
    assert ci["concurrency"]["cancel-in-progress"] is True and "github.ref" in ci["concurrency"]["group"]
    gate = ci["jobs"]["ci"]
    assert gate["if"] == "always()"  # a failed or skipped job must fail the gate, not skip it
    assert set(gate["needs"]) == set(ci["jobs"]) - {"ci"}
    assert any('.result == "success"' in step.get("run", "") for step in gate["steps"])


def test_ci_caches_uv_maven_go_and_the_built_tools():
    ci = load(ROOT / ".github/workflows/ci.yml")
    everything = steps(ci)
    assert any(s.get("with", {}).get("enable-cache") is True for s in everything if "setup-uv" in s.get("uses", ""))
    assert any(s.get("with", {}).get("cache") == "maven" for s in everything if "setup-java" in s.get("uses", ""))
    assert any(s.get("with", {}).get("cache-dependency-path") for s in everything if "setup-go" in s.get("uses", ""))
    tools = [s for s in everything if "actions/cache" in s.get("uses", "")]
    assert tools and all(s["with"]["path"].startswith("~/.cache/trust-portal/tools") for s in tools)


def test_the_hermetic_workflow_runs_one_release_per_ref_reports_its_job_and_gates_on_the_verdict():
    hermetic = load(ROOT / "deploy/ci/org.release.hermetic.yml")
    assert hermetic["on"]["workflow_call"]["inputs"]["build"]["required"] is True
    assert hermetic["concurrency"]["group"] == "hermetic-${{ github.ref_name }}"
    runs = [s.get("run", "") for s in steps(hermetic)]
    for kind in ("queued", "started", "finished"):
        assert any(f"trust-portal runner-event {kind}" in run for run in runs), kind
    finished = next(s for s in steps(hermetic) if "runner-event finished" in s.get("run", ""))
    assert finished["if"] == "always()"  # a failed build is reported too
    assert any("unshare" in run and "--net" in run for run in runs)  # the build has no network
    assert any("submit-provenance" in run and "--wait" in run for run in runs)
    generator = hermetic["jobs"]["provenance"]
    assert "slsa-github-generator" in generator["uses"] and generator["with"]["compile-generator"] is True
