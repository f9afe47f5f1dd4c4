"""The batch CLI and the onboarding service as processes: a cohort end to end, reruns, bad rows, a crash."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from onboarding.settings import OnboardingSettings
from pymongo import MongoClient
from service_kit.testing.webhooks import WebhookReceiver

from tests.e2e.conftest import run_cli
from tests.integration.support import poll

FINAL = {"onboarded", "verification_failed"}


def write_csv(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8-sig").replace(b"\n", b"\r\n"))
    return path


def test_the_cli_onboards_a_five_partner_cohort_and_a_rerun_creates_no_duplicates(
    settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, run_service, tmp_path: Path
):
    service = run_service()
    rows = "\n".join(
        f'{s},{receiver.url(s)},"{s.title()}, Inc."' for s in ("acme", "bluefin", "cobalt", "delta", "ember")
    )
    csv = write_csv(tmp_path / "wave.csv", f"tenant,webhook,display_name\n{rows}\n")

    first = run_cli(settings, "--batch", str(csv), "--cohort", "wave-1", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["ok"] and report["counts"] == {"onboarded": 5}
    assert [t["line"] for t in report["tenants"]] == [2, 3, 4, 5, 6]
    assert all(t["time_to_first_verify_s"] is not None for t in report["tenants"])

    again = run_cli(settings, "--batch", str(csv), "--cohort", "wave-1", "--json")
    assert again.returncode == 0, again.stderr
    assert mongo[settings.mongo_db]["onboarding_tenants"].count_documents({}) == 5
    assert all(receiver.attempts(s) == 1 for s in ("acme", "bluefin", "cobalt", "delta", "ember"))

    status = run_cli(settings, "status", "--cohort", "wave-1", "--json")
    metrics = json.loads(status.stdout)
    assert (metrics["requested"], metrics["verified"], metrics["failed"], metrics["failure_rate"]) == (5, 5, 0, 0.0)
    assert metrics["ttfv_p50_s"] <= metrics["ttfv_p95_s"]

    table = run_cli(settings, "status", "--cohort", "wave-1")
    assert table.returncode == 0 and "wave-1" in table.stdout

    scraped = httpx.get(f"http://127.0.0.1:{service.port}/metrics", timeout=5).text
    assert 'trustportal_onboarding_verifications_total{cohort="wave-1",outcome="verified"} 5.0' in scraped
    ready = httpx.get(f"http://127.0.0.1:{service.port}/readyz", timeout=5).json()
    assert ready == {"status": "ready", "checks": {"kafka": "ok", "mongodb": "ok"}}


def test_bad_rows_are_reported_with_line_numbers_and_the_good_rows_proceed(
    settings: OnboardingSettings, receiver: WebhookReceiver, run_service, tmp_path: Path
):
    run_service()
    csv = write_csv(
        tmp_path / "mixed.csv",
        f"good-one,{receiver.url('good-one')}\n"
        "Bad_Slug,https://hooks.example/x\n"
        "\n"
        f"failing,{receiver.url('failing', status=500)}\n"
        "no-hook,\n"
        f"good-two,{receiver.url('good-two')}\n",
    )
    result = run_cli(settings, "--batch", str(csv), "--cohort", "mixed", "--json")
    assert result.returncode == 1
    assert "mixed.csv:2:" in result.stderr and "slug" in result.stderr
    assert "mixed.csv:5:" in result.stderr and "missing webhook" in result.stderr
    states = {t["tenant"]: t["state"] for t in json.loads(result.stdout)["tenants"]}
    assert states == {
        "good-one": "onboarded",
        "Bad_Slug": "invalid",
        "failing": "verification_failed",
        "no-hook": "invalid",
        "good-two": "onboarded",
    }
    # Office hours: the cohort's failure grouped by cause, with what the partner should do.
    triaged = run_cli(settings, "triage", "--cohort", "mixed", "--json")
    assert triaged.returncode == 0, triaged.stderr
    report = json.loads(triaged.stdout)
    assert (report["tenants"], report["failed"]) == (3, 1)
    [group] = report["causes"]
    assert group["cause"] == "http-5xx" and [t["tenant"] for t in group["tenants"]] == ["failing"]
    assert "HTTP 500" in group["tenants"][0]["reason"] and "logs" in group["action"]
    notes = run_cli(settings, "triage", "--cohort", "mixed", "--markdown")
    assert notes.stdout.startswith("# Cohort mixed: 1 of 3 partners need help")
    assert "## receiver answered 5xx (1)" in notes.stdout
    table = run_cli(settings, "triage", "--cohort", "mixed")
    assert table.returncode == 0 and "failing" in table.stdout


def test_a_missing_file_is_a_clear_usage_error(settings: OnboardingSettings, tmp_path: Path):
    result = run_cli(settings, "--batch", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_the_service_killed_mid_batch_and_restarted_leaves_every_tenant_final(
    settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, run_service, tmp_path: Path
):
    slugs = [f"crash-{i:02d}" for i in range(24)]
    csv = write_csv(tmp_path / "crash.csv", "".join(f"{s},{receiver.url(s, delay_ms=150)}\n" for s in slugs))
    service = run_service(ONBOARDING_VERIFY_CONCURRENCY="2")
    sent = run_cli(settings, "--batch", str(csv), "--cohort", "crash", "--no-follow", "--json")
    assert sent.returncode == 1  # not followed, so not known to be verified

    tenants = mongo[settings.mongo_db]["onboarding_tenants"]
    poll(lambda: tenants.count_documents({"state": "onboarded"}) >= 4, timeout=30, interval=0.05)
    service.kill()
    done_before = tenants.count_documents({"state": {"$in": sorted(FINAL)}})
    assert done_before < len(slugs), "the kill came too late to interrupt the batch"

    run_service(ONBOARDING_VERIFY_CONCURRENCY="8")
    poll(lambda: tenants.count_documents({"state": {"$in": sorted(FINAL)}}) == len(slugs), timeout=60)
    docs = {d["_id"]: d for d in tenants.find()}
    assert sorted(docs) == slugs, "every tenant exists exactly once"
    assert {d["state"] for d in docs.values()} == {"onboarded"}

    # Every fact reached the cohort projection too: none was lost in the crash.
    def cohort() -> dict:
        return dict(json.loads(run_cli(settings, "status", "--cohort", "crash", "--json").stdout))

    metrics = poll(lambda: (m := cohort())["verified"] == len(slugs) and m, timeout=30, interval=0.5) or cohort()
    assert metrics["verified"] == len(slugs) and metrics["failed"] == 0


def test_an_unreachable_kafka_is_a_clear_error_not_a_traceback(settings: OnboardingSettings, tmp_path: Path):
    csv = write_csv(tmp_path / "one.csv", "acme,https://hooks.acme.example/h\n")
    down = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
    result = run_cli(down, "--batch", str(csv), timeout=60)
    assert result.returncode == 2
    assert "cannot reach Kafka at 127.0.0.1:1" in result.stderr and "Traceback" not in result.stderr


def test_a_file_with_only_bad_rows_reports_them_without_publishing(settings: OnboardingSettings, tmp_path: Path):
    csv = write_csv(tmp_path / "bad.csv", "Bad Slug,https://x.example/h\nok-slug,ftp://x.example/h\n")
    down = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})  # never contacted
    result = run_cli(down, "--batch", str(csv), "--json", timeout=60)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["counts"] == {"invalid": 2} and [t["line"] for t in report["tenants"]] == [1, 2]
