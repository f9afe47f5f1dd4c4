"""The web UI in Debian's Chromium, driven by Playwright: the portal runs as its own process on the real stack.

Screenshots go to test-artifacts/screenshots/ (kept by CI as artifacts).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from portal_api.settings import PortalSettings
from pymongo import MongoClient
from service_kit.testing.launcher import ServiceProcess, env_for, free_port

from tests.integration.conftest import KAFKA, MONGO

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts/screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"  # CHROMIUM: another build
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = datetime.now(UTC)
AXE = Path(__file__).parent / "node_modules/axe-core/axe.min.js"


MONTH = NOW.strftime("%Y-%m")
LAST_MONTH = (NOW.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def seed_money(db) -> None:
    """Invoices and payments (paid, partial, overdue, unmatched), the board's revenue report, two board packs."""
    from board.revenue import Invoice, Payment, revenue_report
    from schemas.billing import InvoiceIssuedData, InvoiceLine, PaymentReceivedData
    from service_kit.periods import Period

    plans = {"acme-robotics": ("growth", 4_990_00), "bluefin-labs": ("standard", 1_990_00),
             "cobalt-sys": ("standard", 1_990_00), "delta-forge": ("starter", 490_00)}  # fmt: skip
    invoices, payments = [], []
    before = (NOW.replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    for months_ago, period in ((1, LAST_MONTH), (2, before)):
        for tenant, (plan, fee) in plans.items():
            overage = InvoiceLine(
                description="api calls beyond 100,000 included",
                meter="api_calls",
                quantity=112_400,
                included=100_000,
                unit_price_minor=1,
                amount_minor=12_400,
            )
            base = InvoiceLine(description=f"{plan} plan, {period}", quantity=1, unit_price_minor=fee, amount_minor=fee)
            data = InvoiceIssuedData(invoice_id=f"inv-{tenant}-{period}", period=period, plan=plan, currency="EUR",
                                     lines=(base, overage), total_minor=fee + 12_400,
                                     issued_at=NOW - timedelta(days=30 * months_ago - 25))  # fmt: skip
            invoices.append(Invoice(tenant=tenant, data=data))
            db["portal_invoices"].insert_one({"_id": data.invoice_id, "tenant": tenant, **data.model_dump()})
    # acme-robotics: last month's partly paid, the one before unpaid past its terms; bluefin paid; one unmatched.
    for pid, tenant, invoice_id, amount in (
        ("pay-001", "acme-robotics", f"inv-acme-robotics-{LAST_MONTH}", 2_000_00),
        ("pay-002", "bluefin-labs", f"inv-bluefin-labs-{before}", 1_990_00 + 12_400),
        ("pay-003", "_billing", "inv-unknown", 490_00),
    ):
        paid = PaymentReceivedData(payment_id=pid, invoice_id=invoice_id, amount_minor=amount, currency="EUR",
                                   received_at=NOW - timedelta(days=1), method="bank_transfer")  # fmt: skip
        payments.append(Payment(event_id=pid, tenant=tenant, data=paid))
        db["portal_payments"].insert_one({"_id": pid, "tenant": tenant, **paid.model_dump()})
    for month in (Period.parse(LAST_MONTH), Period.parse(MONTH)):
        report = revenue_report(invoices, payments, month, NOW, terms_days=30)
        db["board_revenue"].insert_one({"_id": str(month), **report.model_dump()})
    checks = [
        {"name": name, "ok": True, "detail": detail}
        for name, detail in (
            ("source: revenue", "8 invoices"),
            ("source: sla", "8,640 probes"),
            ("source: evidence", "3 packs"),
            ("hash: evidence packs", "3 of 3 in the ledger"),
            ("link: portal", "http://127.0.0.1/ui answered 200"),
        )
    ]
    db["portal_board_packs"].insert_one(
        {"_id": "req-board-1", "request_id": "req-board-1", "period": LAST_MONTH, "state": "built", "at": NOW,
         "checks": checks, "file_name": f"board-{LAST_MONTH}.pdf", "sha256": "3f" * 32, "size": 48_213,
         "complete": True, "ledger_index": 12, "inclusion_proof": {}, "tree_head": {}}
    )  # fmt: skip
    db["portal_board_packs"].insert_one(
        {"_id": "req-board-0", "request_id": "req-board-0", "period": "2025-01", "state": "failed",
         "at": NOW - timedelta(days=3), "checks": [{"name": "source: revenue", "ok": False,
         "detail": "no invoices for 2025-01"}], "reason": "incomplete: source: revenue: no invoices for 2025-01"}
    )  # fmt: skip


WAVE = "partner-wave-2"


def seed_platform(db) -> None:
    """A second cohort in flight with failures, repositories across tenants, packs with their time to pack."""
    wave = [(f"wave-{n:02d}", "onboarded", None, None, 1, 20.0 + 15 * n) for n in range(6)] + [
        ("wave-06", "verification_failed", "connect: connection refused", None, 5, None),
        ("wave-07", "verification_failed", "HTTP 500 from the webhook", 500, 5, None),
        ("wave-08", "rejected", "webhook_url: must be https", None, 0, None),
        ("wave-09", "provisioned", None, None, 2, None),
    ]
    for n, (slug, state, reason, code, attempts, ttfv) in enumerate(wave):
        db["onboarding_tenants"].insert_one(
            {"_id": slug, "slug": slug, "display_name": f"Wave partner {n}", "cohort": WAVE, "state": state,
             "request_id": f"req-{slug}", "requested_at": NOW + timedelta(minutes=1 + n), "attempts": attempts,
             "failure_reason": reason, "last_status_code": code, "time_to_first_verify_s": ttfv,
             "contact_email": f"sec@{slug}.example"}
        )  # fmt: skip
    repos = [("acme-robotics", "github.com/acme/arm", 3, "verified", ()),
             ("acme-robotics", "github.com/acme/vision", 3, "rejected", ("builder not trusted: https://ci.example",)),
             ("bluefin-labs", "github.com/bluefin/api", 2, "verified", ()),
             ("bluefin-labs", "github.com/bluefin/web", 1, "verified", ()),
             ("wave-00", "github.com/wave/sdk", 0, "rejected", ("signature does not verify with the tenant's keys",
                                                                  "materials not pinned by digest"))]  # fmt: skip
    for n, (tenant, repo, level, outcome, reasons) in enumerate(repos):
        db["slsa_repos"].insert_one(
            {"_id": f"{tenant}/{repo}", "tenant": tenant, "repo": repo, "build_level": level, "hermetic": level == 3,
             "pinned": level >= 2, "last_verified_at": NOW if level else None, "last_outcome": outcome,
             "last_reasons": list(reasons), "updated_at": NOW + timedelta(minutes=n)}
        )  # fmt: skip
    for n, (tenant, period, seconds) in enumerate([
        ("acme-robotics", LAST_MONTH, 95.0), ("acme-robotics", LAST_MONTH, 240.0), ("bluefin-labs", LAST_MONTH, 130.0),
        ("acme-robotics", "2026-01", 380.0), ("bluefin-labs", "2026-01", 610.0), ("bluefin-labs", "2026-01", 720.0),
    ]):  # fmt: skip
        db["portal_evidence_packs"].insert_one(
            {"_id": f"pack-{n}", "tenant": tenant, "pack_id": f"pack-{n}", "sha256": "d" * 64, "item_count": 9,
             "ledger_index": 20 + n, "built_at": NOW, "period": period, "time_to_pack_s": seconds}
        )  # fmt: skip


def seed(db) -> None:
    """Four tenants' onboarding state, and SLSA rows and a pack only cobalt-sys has; money and board packs."""
    for slug, name in [
        ("acme-robotics", "Acme Robotics"),
        ("bluefin-labs", "Bluefin Labs"),
        ("cobalt-sys", "Cobalt Systems"),
        ("delta-forge", "Delta Forge"),
    ]:
        db["onboarding_tenants"].insert_one(
            {"_id": slug, "slug": slug, "display_name": name, "contact_email": f"security@{slug}.example",
             "plan": "standard", "cohort": "demo-wave-1", "webhook_url": f"https://hooks.{slug}.example/trust",
             "state": "onboarded", "request_id": f"req-{slug}", "requested_at": NOW}
        )  # fmt: skip
    db["slsa_repos"].insert_one(
        {"_id": "cobalt-sys/firmware", "tenant": "cobalt-sys", "repo": "github.com/cobalt-sys/firmware",
         "build_level": 3, "hermetic": True, "pinned": True, "builder_id": "https://github.com/slsa-framework/gen",
         "last_artifact_sha256": "f" * 64, "last_verified_at": NOW, "last_outcome": "verified", "updated_at": NOW}
    )  # fmt: skip
    db["portal_evidence_packs"].insert_one(
        {"_id": "pack-cobalt-2026-10", "tenant": "cobalt-sys", "pack_id": "pack-cobalt-2026-10", "sha256": "e" * 64,
         "item_count": 42, "ledger_index": 7, "built_at": NOW}
    )  # fmt: skip
    seed_money(db)
    seed_platform(db)


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory) -> Iterator[str]:
    run = uuid.uuid4().hex[:10]
    settings = PortalSettings(
        kafka_bootstrap=KAFKA,
        mongo_uri=MONGO,
        mongo_db=f"ui_{run}",
        onboarding_db=f"ui_{run}",
        slsa_db=f"ui_{run}",
        evidence_db=f"ui_{run}",
        board_db=f"ui_{run}",
        topic_prefix=f"ui-{run}.",
        dev_mode=True,
        dev_users_file=str(ROOT / "examples/portal-users.json"),
        cookie_secure=False,
        membership_cache_s=0,
        view_cache_s=0,
    )
    mongo: MongoClient = MongoClient(MONGO, tz_aware=True)
    seed(mongo[settings.mongo_db])
    port = free_port()
    log = tmp_path_factory.mktemp("portal") / "portal-api.log"
    metrics = str(free_port())
    proc = ServiceProcess(env_for(settings, PORTAL_METRICS_PORT=metrics), log, port=port, command="portal-api",
                          port_env="PORTAL_HTTP_PORT")  # fmt: skip
    proc.start(timeout_s=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()
        mongo.drop_database(settings.mongo_db)
        mongo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make browser` installs Debian's chromium package")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def accessibility_problems(page: Page) -> list[str]:
    """WCAG 2.x A/AA violations axe-core finds on the page, one line each (rule, impact, where)."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make browser` installs it (npm ci in tests/browser)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def desc(chart) -> str:
    """A chart's text alternative (its SVG <desc>)."""
    return chart.locator("desc").text_content() or ""


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/ui")
    page.get_by_role("link", name="Sign in as a development user").click()
    page.get_by_label(name).check()
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/dev/sign-in"))  # the form was answered
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # by a signed-in page


def test_sign_in_switch_tenant_and_each_tab_shows_that_tenants_data(page: Page, portal_url: str):
    sign_in(page, portal_url, "Cy Engineer")
    expect(page).to_have_url(f"{portal_url}/ui/tenants/cobalt-sys/overview")
    expect(page.get_by_role("heading", level=1)).to_have_text("cobalt-sys: overview")
    expect(page.locator("[data-field=display_name]")).to_have_text("Cobalt Systems")
    switcher = page.get_by_label("Tenant")
    expect(switcher.locator("option")).to_have_text(["cobalt-sys", "delta-forge"])  # exactly Cy's tenants
    shot(page, "01-overview-cobalt-sys")

    tabs = page.get_by_role("navigation", name="Views of cobalt-sys")
    expect(tabs.get_by_role("link")).to_have_text(["Overview", "SLSA map", "Evidence packs"])  # engineer
    tabs.get_by_role("link", name="SLSA map").click()
    expect(page.get_by_role("row", name="github.com/cobalt-sys/firmware")).to_contain_text("L3")
    shot(page, "02-slsa-cobalt-sys")
    tabs.get_by_role("link", name="Evidence packs").focus()
    page.keyboard.press("Enter")  # the keyboard works as well as the mouse
    expect(page.get_by_role("row", name="pack-cobalt-2026-10")).to_contain_text("42")
    expect(page.get_by_role("link", name="Evidence packs")).to_have_attribute("aria-current", "page")
    shot(page, "03-evidence-cobalt-sys")

    switcher.select_option("delta-forge")
    page.get_by_role("button", name="Switch").click()
    expect(page).to_have_url(f"{portal_url}/ui/tenants/delta-forge/overview")  # viewers have no Evidence tab
    expect(page.locator("[data-field=display_name]")).to_have_text("Delta Forge")
    assert "Cobalt" not in page.content()
    page.get_by_role("navigation", name="Views of delta-forge").get_by_role("link", name="SLSA map").click()
    expect(page.get_by_role("status").first).to_contain_text("No provenance has been verified for this tenant yet")
    assert "cobalt-sys/firmware" not in page.content()
    shot(page, "04-slsa-delta-forge-empty")

    page.goto(f"{portal_url}/ui/tenants/delta-forge/evidence")
    expect(page.get_by_role("alert")).to_contain_text("do not include access")
    page.goto(f"{portal_url}/ui/tenants/acme-robotics/overview")
    assert "Acme Robotics" not in page.content()
    expect(page.get_by_label("Tenant").locator("option")).to_have_text(["cobalt-sys", "delta-forge"])


def test_a_field_withheld_by_the_presentation_guard_is_absent_from_the_page(page: Page, portal_url: str):
    sign_in(page, portal_url, "Audrey Auditor")
    expect(page).to_have_url(f"{portal_url}/ui/tenants/acme-robotics/overview")
    expect(page.locator("[data-field=display_name]")).to_have_text("Acme Robotics")
    html = page.content()
    assert "security@acme-robotics.example" not in html and "hooks.acme-robotics" not in html
    assert page.locator("[data-field=contact_email]").count() == 0
    expect(page.locator("#withheld")).to_contain_text("contact_email")
    shot(page, "05-overview-auditor-withheld")

    page.get_by_role("link", name="Audit").click()
    for _ in range(40):  # the trail is folded from audit.events.v1: reload until the auditor's own reads show
        if page.get_by_role("table").count() and "aud@acme-robotics" in page.get_by_role("table").inner_text():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.get_by_role("table")).to_contain_text("aud@acme-robotics")
    shot(page, "06-audit-acme-robotics")


def test_the_pages_are_readable_on_a_phone(browser: Browser, portal_url: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, portal_url, "Ana Admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("acme-robotics: overview")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
    shot(page, "07-phone-overview")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Trust Portal")
    context.close()


def test_an_admin_creates_an_api_key_sees_it_once_and_revokes_it(page: Page, portal_url: str):
    sign_in(page, portal_url, "Ana Admin")
    page.get_by_role("navigation", name="Views of acme-robotics").get_by_role("link", name="API keys").click()
    page.get_by_label("What it is for").fill("release CI")
    page.get_by_label("Role").select_option("engineer")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("alert")).to_contain_text("shown only this once")
    token = page.get_by_label("Key", exact=True).input_value()
    assert token.startswith("tpk_")
    shot(page, "08-api-key-created")
    page.goto(f"{portal_url}/ui/tenants/acme-robotics/api-keys")
    assert token not in page.content()  # never shown again
    page.get_by_role("button", name="Revoke release CI").click()
    expect(page.get_by_role("row", name="release CI")).to_contain_text("revoked")
    shot(page, "09-api-key-revoked")


def test_every_page_passes_the_wcag_aa_checks_of_axe(browser: Browser, portal_url: str):
    # The portal's CSP allows no script at all, so injecting axe-core needs the test's own context to
    # bypass it (and test_the_csp_blocks_injected_script shows that it otherwise would not run).
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{portal_url}/ui")
    assert accessibility_problems(page) == [], "signed-out page"
    page.goto(f"{portal_url}/dev/sign-in")
    assert accessibility_problems(page) == [], "dev sign-in"
    sign_in(page, portal_url, "Ana Admin")
    for tab in ("overview", "slsa", "evidence", "finance", "audit", "members", "api-keys"):
        page.goto(f"{portal_url}/ui/tenants/acme-robotics/{tab}")
        assert accessibility_problems(page) == [], tab
    page.goto(f"{portal_url}/ui/tenants/bluefin-labs/overview")  # refused: the 403 page
    assert accessibility_problems(page) == [], "forbidden page"
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, portal_url, "Eve Executive")
    for path in (
        "platform/board",
        "platform/revenue",
        f"platform/revenue?period={LAST_MONTH}",
        "platform/cohorts",
        "platform/cohorts?cohort=demo-wave-1",
        "platform/slsa-adoption",
        "platform/evidence-slo",
    ):
        page.goto(f"{portal_url}/ui/{path}")
        assert accessibility_problems(page) == [], path
    context.close()


def test_an_executive_reads_the_board_packs_and_the_platform_revenue_with_the_keyboard(page: Page, portal_url: str):
    sign_in(page, portal_url, "Eve Executive")
    platform = page.get_by_role("navigation", name="Platform views")
    expect(platform.get_by_role("link")).to_have_text(
        ["Cohorts", "SLSA adoption", "Evidence SLO", "Board packs", "Revenue"])  # fmt: skip
    platform.get_by_role("link", name="Board packs").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform: board packs")
    built = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=LAST_MONTH, exact=True))
    expect(built).to_contain_text("Complete")
    expect(built).to_contain_text("3f" * 32)
    expect(built.get_by_role("link", name=f"board-{LAST_MONTH}.pdf")).to_be_visible()
    built.get_by_text("5 of 5 checks passed").focus()
    page.keyboard.press("Enter")  # the completeness report opens from the keyboard
    expect(built).to_contain_text("hash: evidence packs: 3 of 3 in the ledger")
    refused = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="2025-01", exact=True))
    expect(refused).to_contain_text("Refused")
    shot(page, "10-platform-board-packs")

    platform.get_by_role("link", name="Revenue").click()  # the newest month whose invoices are out
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Platform: revenue, {LAST_MONTH}")
    expect(page.locator("[data-figure=mrr-EUR]")).to_have_text("€9,460.00")
    expect(page.get_by_role("row", name="acme-robotics").first).to_be_visible()
    shot(page, "11-platform-revenue")
    page.get_by_label("Month").select_option(MONTH)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Platform: revenue, {MONTH}")
    expect(page.get_by_role("status").first).to_contain_text("MRR and movements are not known yet")
    expect(page.get_by_role("table", name="what does not reconcile")).to_contain_text("unmatched")
    shot(page, "11b-platform-revenue-month-under-way")


def test_an_executive_follows_a_cohort_in_flight_by_keyboard_then_stops_the_reloading(page: Page, portal_url: str):
    sign_in(page, portal_url, "Eve Executive")
    platform = page.get_by_role("navigation", name="Platform views")
    platform.get_by_role("link", name="Cohorts").focus()
    with page.expect_response(f"{portal_url}/ui/platform/cohorts") as answered:
        page.keyboard.press("Enter")
    assert answered.value.headers.get("refresh") == "10"  # in flight: the page reloads itself
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Platform: cohorts, {WAVE}")
    figures = {k: page.locator(f"[data-figure={k}]").inner_text() for k in
               ("requested", "provisioned", "verified", "failed", "in-flight", "ttfv-p50", "ttfv-p95")}  # fmt: skip
    assert figures == {"requested": "10", "provisioned": "9", "verified": "6", "failed": "3", "in-flight": "1",
                       "ttfv-p50": "50 s", "ttfv-p95": "1 min 35 s"}, figures  # fmt: skip
    expect(page.locator("[data-figure=failure-rate]")).to_contain_text("30.0% above the 10.0% line")
    funnel = page.get_by_role("img", name=f"Onboarding funnel of {WAVE}")
    expect(funnel).to_be_visible()
    assert "Requested: 10; Provisioned: 9; Verified: 6; Failed: 3; In flight: 1" in desc(funnel)
    rows = page.get_by_role("table", name=f"Tenants of {WAVE}").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Verification failed")
    expect(rows.nth(1)).to_contain_text("connect: connection refused")
    expect(page.get_by_role("row", name="wave-07")).to_contain_text("500")
    expect(page.get_by_role("row", name="wave-09")).to_contain_text("Verifying")
    assert "sec@wave" not in page.content()  # contact emails are not this view's
    rates = page.get_by_role("img", name="Failure rate by cohort against the 10.0% line")
    assert f"{WAVE}: 30.0%; demo-wave-1: 0.0%" in desc(rates)
    shot(page, "15-platform-cohorts")
    with page.expect_response(lambda r: "follow=off" in r.url) as stopped:
        page.get_by_role("link", name="Stop reloading").click()
    assert "refresh" not in stopped.value.headers
    expect(page.get_by_role("status").first).to_contain_text("reloading is off")
    page.get_by_label("Cohort", exact=True).select_option("demo-wave-1")
    with page.expect_response(lambda r: "cohort=demo-wave-1" in r.url) as settled:
        page.get_by_role("button", name="Show").click()
    assert "refresh" not in settled.value.headers  # nothing in flight: nothing reloads
    expect(page.locator("[data-figure=verified]")).to_have_text("4")


def test_an_executive_reads_slsa_adoption_and_the_evidence_slo_across_tenants(page: Page, portal_url: str):
    sign_in(page, portal_url, "Eve Executive")
    page.get_by_role("navigation", name="Platform views").get_by_role("link", name="SLSA adoption").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform: SLSA adoption")
    expect(page.locator("[data-figure=repos]")).to_have_text("6")
    expect(page.locator("[data-figure=at-l3]")).to_contain_text("2 of 8 targeted")  # acme/vision was rejected
    levels = page.get_by_role("img", name="Repositories by SLSA Build level, against the L3 target of 8")
    assert "Build L3: 3; Build L2: 1; Build L1: 1; Not verified: 1. L3 target: 8." in desc(levels)
    rejections = page.get_by_role("table", name="latest submission was rejected").get_by_role("row")
    expect(rejections.nth(1)).to_contain_text("github.com/wave/sdk")  # newest first
    expect(rejections.nth(1)).to_contain_text("materials not pinned by digest")
    expect(rejections.nth(2)).to_contain_text("builder not trusted")
    expect(page.get_by_role("row", name="bluefin-labs")).to_contain_text("2")
    shot(page, "16-platform-slsa-adoption")

    page.get_by_role("navigation", name="Platform views").get_by_role("link", name="Evidence SLO").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform: evidence SLO")
    expect(page.locator("[data-figure=p50]")).to_contain_text("4 min within 7 min")  # 95 130 240 380 610 720
    expect(page.locator("[data-figure=p95]")).to_have_text("12 min")
    expect(page.locator("[data-figure=packs]")).to_have_text("7")  # cobalt's older pack carries no time
    expect(page.locator("[data-figure=within]")).to_contain_text("4 of 6")
    chart = page.get_by_role("img", name="Time to pack p50 and p95 by period, against 7 min")
    assert f"{LAST_MONTH} p50: 2 min 10 s" in desc(chart)
    assert "2026-01 p50: 10 min 10 s" in desc(chart)
    per_tenant = page.get_by_role("table", name="per tenant and period")
    expect(per_tenant.get_by_role("row", name="bluefin-labs")).to_contain_text("3")
    shot(page, "17-platform-evidence-slo")


def test_a_tenants_finance_user_sees_payment_status_and_never_the_platform(page: Page, portal_url: str):
    sign_in(page, portal_url, "Finn Finance")
    page.goto(f"{portal_url}/ui/tenants/acme-robotics/finance")
    expect(page.locator("[data-status]")).to_have_text(["Partially paid", "Overdue"])
    expect(page.locator(".standing").first).to_contain_text("€2,000.00 received, €3,114.00 due by")
    assert page.get_by_role("navigation", name="Platform views").count() == 0
    shot(page, "12-finance-payment-status")
    page.goto(f"{portal_url}/ui/platform/revenue")
    expect(page.get_by_role("alert")).to_contain_text("platform's staff")
    assert "9,460" not in page.content() and "bluefin" not in page.content()
    for path in ("cohorts", "slsa-adoption", "evidence-slo"):
        page.goto(f"{portal_url}/ui/platform/{path}")
        expect(page.get_by_role("alert")).to_contain_text("platform's staff")
        assert "wave-0" not in page.content() and "github.com/" not in page.content(), path


def test_the_platform_pages_are_readable_on_a_phone(browser: Browser, portal_url: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, portal_url, "Eve Executive")
    for path, name in (("platform/board", "13-phone-board-packs"),
                       (f"platform/revenue?period={LAST_MONTH}", "14-phone-revenue"),
                       ("platform/cohorts?follow=off", "18-phone-cohorts"), ("platform/slsa-adoption", "19-phone-slsa"),
                       ("platform/evidence-slo", "20-phone-evidence-slo")):  # fmt: skip
        page.goto(f"{portal_url}/ui/{path}")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path} scrolls sideways on a phone: {width}"
        shot(page, name)
    context.close()


def test_the_csp_blocks_injected_script(page: Page, portal_url: str):
    page.goto(f"{portal_url}/ui")
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true")
    assert page.evaluate("() => window.injected === undefined")


def test_the_accessibility_check_is_not_vacuous(page: Page):
    page.set_content('<html lang="en"><title>t</title><main><input type="text"><img src="x.png"></main></html>')
    problems = " ".join(accessibility_problems(page))
    assert "label" in problems and "image-alt" in problems
