"""`make demo`: the platform on the local stack, end to end (onboarding, the portal, SLSA watch).

Starts the onboarding service and a local Standard Webhooks receiver, onboards the five-partner
example cohort from examples/tenants.csv with the batch CLI, and prints the cohort summary. Then the
portal in dev mode (isolation and the presentation guard) and SLSA watch: three tenants register
trust policies and CI keys, CI submits signed provenance for 8 repositories (L3, L2 and rejected),
slsa-watch verifies it, the portal's SLSA map shows it and the adoption summary is printed; then each
tenant's evidence pack (signed, in the Merkle ledger) with one verified offline, metered usage and
invoices; it prints the web UI's address and the dev
sign-ins. Rerunning it is safe: nothing is onboarded, submitted or billed twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from onboarding.adapters.secrets import SecretBox
from onboarding.settings import OnboardingSettings
from portal_api.members import load_members
from pydantic import SecretStr
from pymongo import MongoClient
from service_kit.testing.launcher import ServiceNotReadyError, ServiceProcess
from service_kit.testing.provenance import HOSTED_BUILDER, UNTRUSTED_BUILDER, Signer, digest_of
from service_kit.testing.webhooks import WebhookReceiver

ROOT = Path(__file__).resolve().parents[1]
ADMINS = {"acme-robotics": "ana@acme-robotics", "bluefin-labs": "bo@bluefin-labs", "cobalt-sys": "kai@cobalt-sys"}
RELEASES = [  # tenant, repository, artifact, what its provenance shows
    ("acme-robotics", "github.com/acme-robotics/arm-controller", "arm-controller-1.4.0.tar.gz", "L3"),
    ("acme-robotics", "github.com/acme-robotics/robot-firmware", "robot-firmware-2.0.1.bin", "L3"),
    ("acme-robotics", "github.com/acme-robotics/vision", "vision-0.9.0.whl", "L2 hosted CI, not hermetic"),
    ("acme-robotics", "github.com/acme-robotics/sim-tools", "sim-tools-3.1.tar.gz", "untrusted builder"),
    ("bluefin-labs", "github.com/bluefin-labs/api-gateway", "api-gateway-5.2.0.tar.gz", "L3"),
    ("bluefin-labs", "github.com/bluefin-labs/dashboards", "dashboards-1.0.0.zip", "signed by another key"),
    ("cobalt-sys", "github.com/cobalt-sys/firmware", "firmware-7.3.0.bin", "L3"),
    ("cobalt-sys", "github.com/cobalt-sys/cli", "cli-0.4.2.tar.gz", "L2 hosted CI, unpinned dependencies"),
]
KEYS: dict[str, dict[str, str]] = {}
SAVED_KEYS = ROOT / ".local/demo/ci-keys.json"  # the demo CI keys' secrets, kept for reruns (local dev only)
BIN = Path(sys.executable).parent
RECEIVER_PORT = 8090  # examples/tenants.csv points its webhooks here
COHORT = os.environ.get("DEMO_COHORT", "demo-wave-1")


def banner(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def start_receiver(settings: OnboardingSettings) -> WebhookReceiver:
    """The partners' webhook endpoints: each ping's signature is checked with the tenant's secret."""
    assert settings.secrets_key is not None
    box = SecretBox(SecretStr(settings.secrets_key.get_secret_value()))
    mongo: MongoClient = MongoClient(settings.mongo_uri, tz_aware=True)

    def secret_for(slug: str) -> str | None:
        doc = mongo[settings.mongo_db]["onboarding_tenants"].find_one({"_id": slug})
        return box.open(doc["webhook_secret_sealed"]) if doc else None

    try:
        return WebhookReceiver(port=RECEIVER_PORT, secret_for=secret_for).start()
    except OSError as exc:
        sys.exit(f"demo: port {RECEIVER_PORT} (the example webhooks) is busy: {exc}")


def bearer(base: str, user: str) -> dict[str, str]:
    token = httpx.post(f"{base}/dev/token", data={"user": user}, timeout=5).json()["access_token"]
    return {"authorization": f"Bearer {token}"}


def show_portal(port: int) -> None:
    """Sign in as two dev users and read the same tenant: the portal's isolation and guard, live."""
    base = f"http://127.0.0.1:{port}"
    for user in ("aud@acme-robotics", "bo@bluefin-labs"):
        response = httpx.get(f"{base}/api/v1/tenants/acme-robotics/overview", headers=bearer(base, user), timeout=5)
        print(f"{user} reads acme-robotics: HTTP {response.status_code} {response.text}")


def evidence_key() -> str:
    """The demo's platform signing key (Ed25519, PKCS#8 PEM), kept under .local for reruns; local only."""
    path = ROOT / ".local/demo/evidence-signing-key.pem"
    if not path.exists():
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_text()


def evidence_demo(port: int, env: dict[str, str]) -> None:
    """Each tenant's admin requests this month's evidence pack; one is exported and verified offline."""
    root = f"http://127.0.0.1:{port}"
    period = datetime.now(UTC).strftime("%Y-%m")
    packs: dict[str, dict] = {}
    for tenant, admin_user in ADMINS.items():
        admin = bearer(root, admin_user)
        headers = {**admin, "idempotency-key": f"demo-pack-{tenant}-{period}"}
        answer = httpx.post(f"{root}/api/v1/tenants/{tenant}/evidence-packs", json={"period": period}, headers=headers)
        print(f"{admin_user} requests {tenant}'s evidence pack for {period}: HTTP {answer.status_code}")
        deadline = time.monotonic() + 60
        while tenant not in packs and time.monotonic() < deadline:
            listed = httpx.get(f"{root}/api/v1/tenants/{tenant}/evidence-packs", headers=admin).json()["packs"]
            if listed:
                packs[tenant] = listed[0]
            time.sleep(0.5)
    for tenant, pack in packs.items():
        print(f"  {tenant}: pack {pack['pack_id']}, {pack['item_count']} items, sha256 {pack['sha256'][:16]}…, "
              f"ledger index {pack['ledger_index']} (tree of {pack['tree_size']})")  # fmt: skip
    if "acme-robotics" not in packs:
        print("  acme-robotics' pack did not arrive; see .local/demo/evidence.log")
        return
    out = ROOT / ".local/demo/evidence"
    pack_id = packs["acme-robotics"]["pack_id"]
    subprocess.run([str(BIN / "evidence"), "export", pack_id, "--out", str(out)], env=env, check=False,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    archive = out / f"evidence-{pack_id}.tar"
    print(f"\noffline verification of acme-robotics' pack (no servers needed), files in {out}:")
    subprocess.run(
        [str(BIN / "evidence"), "verify", str(archive), "--key", str(out / "platform-key.pem"),
         "--proof", f"{archive}.proof.json", "--tree-head", f"{archive}.tree-head.json",
         "--tenant", "acme-robotics", "--pack-id", pack_id],
        env=env, check=False,
    )  # fmt: skip


def demo_signer(tenant: str) -> Signer:
    """The tenant's release key for the demo: derived from its name, so reruns sign with the same key."""
    seed = hashlib.sha256(f"trust-portal-demo/{tenant}".encode()).digest()
    return Signer(tenant, key=ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def ci_key(base: str, admin: dict[str, str], secret: str | None) -> dict[str, str]:
    """The tenant's demo CI key: the one a previous run kept (local dev only) while it works, else a new one.

    Idempotency keys are scoped to the key that used them, so reusing it makes a rerun replay its submissions.
    """
    if secret and httpx.get(f"{base}/slsa-map", headers={"authorization": f"Bearer {secret}"}).status_code == 200:
        print(f"  CI reuses its API key tpk_{secret.split('_')[1]} from the last demo run")
        return {"authorization": f"Bearer {secret}"}
    created = httpx.post(f"{base}/api-keys", json={"name": "release CI (demo)"}, headers=admin).json()
    print(f"  the admin creates an API key for CI: {created['hint']} (the secret is shown once)")
    return {"authorization": f"Bearer {created['key']}"}


def provenance_demo(port: int) -> None:
    """Each tenant's admin registers a trust policy and a CI key; CI submits provenance for 8 repositories."""
    root = f"http://127.0.0.1:{port}"
    saved = json.loads(SAVED_KEYS.read_text()) if SAVED_KEYS.exists() else {}
    for tenant, admin_user in ADMINS.items():
        signer = demo_signer(tenant)
        repos = [repo for t, repo, *_ in RELEASES if t == tenant]
        base = f"{root}/api/v1/tenants/{tenant}"
        admin = bearer(root, admin_user)
        policy = signer.policy(repos, datetime.now(UTC)).data.model_dump(
            mode="json", include={"keys", "builders", "source_repositories"}
        )
        answer = httpx.post(f"{base}/trust-policy", json=policy, headers={**admin, "idempotency-key": f"demo-{tenant}"})
        print(f"{admin_user} registers {tenant}'s trust policy: HTTP {answer.status_code}")
        KEYS[tenant] = ci_key(base, admin, saved.get(tenant))
        saved[tenant] = KEYS[tenant]["authorization"].removeprefix("Bearer ")
    SAVED_KEYS.write_text(json.dumps(saved))
    with MongoClient(os.environ.get("SLSA_WATCH_MONGO_URI", "mongodb://127.0.0.1:27017/")) as mongo:
        policies = mongo[os.environ.get("SLSA_WATCH_MONGO_DB", "trust_portal")]["slsa_policies"]
        deadline = time.monotonic() + 30
        while policies.count_documents({"_id": {"$in": list(ADMINS)}}) < len(ADMINS) and time.monotonic() < deadline:
            time.sleep(0.2)  # slsa-watch keeps its own copy of each policy
    for tenant, repo, artifact, how in RELEASES:
        signer = demo_signer(tenant)
        if how == "untrusted builder":
            envelope = signer.envelope(repo, artifact, builder=UNTRUSTED_BUILDER)
        elif how == "signed by another key":
            envelope = demo_signer(f"{tenant}/someone-else").envelope(repo, artifact)
        elif how.startswith("L2"):
            envelope = signer.envelope(
                repo, artifact, builder=HOSTED_BUILDER, hermetic=False, pinned="unpinned" not in how
            )
        else:
            envelope = signer.envelope(repo, artifact)
        body = {"repo": repo, "artifact_name": artifact, "artifact_sha256": digest_of(artifact),
                "envelope": json.loads(envelope)}  # fmt: skip
        headers = {**KEYS[tenant], "idempotency-key": f"demo-{repo}-{artifact}"}
        answer = httpx.post(f"{root}/api/v1/tenants/{tenant}/provenance", json=body, headers=headers)
        again = " (a replay: already submitted)" if answer.headers.get("idempotent-replayed") == "true" else ""
        print(f"{tenant} CI submits {artifact} ({how}): HTTP {answer.status_code}{again}")


def show_slsa_map(port: int, env: dict[str, str]) -> None:
    """Wait for the verdicts in the portal's SLSA map, then print the organisation's adoption."""
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    for tenant, admin_user in ADMINS.items():
        wanted = sum(1 for t, *_ in RELEASES if t == tenant)
        rows: list = []
        while len(rows) < wanted and time.monotonic() < deadline:
            rows = httpx.get(f"{root}/api/v1/tenants/{tenant}/slsa-map", headers=bearer(root, admin_user)).json()[
                "repos"
            ]
            time.sleep(0.5)
        print(f"{tenant}: SLSA map tab shows {len(rows)} repositories")
    subprocess.run([str(BIN / "slsa-watch"), "adoption"], env=env, check=False)


L3_ROLLOUT = [  # docs/playbooks/slsa-l3-rollout.md: two more repositories move to the hermetic release workflow
    ("acme-robotics", "github.com/acme-robotics/vision", "vision-0.9.1.whl", "refs/tags/v0.9.1"),
    ("cobalt-sys", "github.com/cobalt-sys/cli", "cli-0.4.3.tar.gz", "refs/tags/v0.4.3"),
]


def l3_rollout(port: int, env: dict[str, str]) -> None:
    """Two more repositories release through org.release.hermetic.yml: its steps, run with the partner CLI."""
    releases = ROOT / ".local/demo/releases"
    releases.mkdir(parents=True, exist_ok=True)
    for tenant, repo, artifact, ref in L3_ROLLOUT:
        ci = {**env, "TRUST_PORTAL_URL": f"http://127.0.0.1:{port}", "TRUST_PORTAL_TENANT": tenant,
              "TRUST_PORTAL_API_KEY": KEYS[tenant]["authorization"].removeprefix("Bearer ")}  # fmt: skip
        tag = ref.rsplit("/", 1)[1]
        job = ["--job-id", f"demo-{repo.rsplit('/', 1)[1]}-{tag}", "--pool", "hermetic-linux", "--repo", repo]
        cli = [str(BIN / "trust-portal")]
        print(f"{repo} {tag}: the hermetic release workflow runs (concurrency group hermetic-{tag})")
        queued = ["--priority", "release", "--group", f"hermetic-{tag}"]
        subprocess.run([*cli, "runner-event", "queued", *job, *queued], env=ci, check=False)
        subprocess.run([*cli, "runner-event", "started", *job, "--runner", "hermetic-linux-1"], env=ci, check=False)
        built = releases / artifact
        built.write_bytes(artifact.encode())  # the demo's artifact bytes: its name (digest_of names it so)
        provenance = releases / f"{artifact}.intoto.jsonl"
        provenance.write_text(demo_signer(tenant).envelope(repo, artifact, ref=ref) + "\n")
        subprocess.run([*cli, "runner-event", "finished", *job, "--outcome", "succeeded"], env=ci, check=False)
        subprocess.run([*cli, "submit-provenance", "--artifact", str(built), "--provenance", str(provenance),
                        "--repo", repo, "--wait", "--timeout", "60"], env=ci, check=False)  # fmt: skip
    subprocess.run([str(BIN / "slsa-watch"), "adoption"], env=env, check=False)


def show_finance(port: int, env: dict[str, str]) -> None:
    """The metered usage, then this month's invoices (the demo bills the open month; production bills closed ones)."""
    base = f"http://127.0.0.1:{port}"
    finance = bearer(base, "fin@acme-robotics")
    deadline = time.monotonic() + 30
    usage: list = []
    while time.monotonic() < deadline and not usage:
        usage = httpx.get(f"{base}/api/v1/tenants/acme-robotics/finance", headers=finance, timeout=5).json()["usage"]
        time.sleep(1)
    print(f"acme-robotics usage so far: {usage[0]['units'] if usage else 'not yet flushed'}")
    period = datetime.now(UTC).strftime("%Y-%m")
    subprocess.run([str(BIN / "portal-api"), "invoice", "--period", period, "--open-period"], env=env, check=False)


def ledger_public_key(signing_key_pem: str) -> str:
    """The evidence ledger's public key (PEM) from the demo's signing key, for the board's completeness check."""
    from cryptography.hazmat.primitives.serialization import PublicFormat, load_pem_private_key

    key = load_pem_private_key(signing_key_pem.encode(), password=None)
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def prober_key(port: int) -> str:
    """A dedicated API key for the prober's tenant-scoped read (acme-robotics' admin creates it)."""
    base = f"http://127.0.0.1:{port}/api/v1/tenants/acme-robotics"
    created = httpx.post(f"{base}/api-keys", json={"name": "SLA prober (synthetic reads)", "role": "viewer"},
                         headers=bearer(f"http://127.0.0.1:{port}", ADMINS["acme-robotics"])).json()  # fmt: skip
    print(f"  acme-robotics' admin creates the prober's API key {created['hint']}")
    return str(created["key"])


def board(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The board CLI, its output shown."""
    done = subprocess.run([str(BIN / "board"), *args], env=env, check=False, capture_output=True, text=True)
    print(done.stdout.rstrip())
    if done.stderr.strip():
        print(done.stderr.rstrip())
    return done


def board_demo(env: dict[str, str]) -> None:
    """Payments for some invoices (one partial, one unmatched), revenue, SLA from probes, the board pack, verified."""
    period = datetime.now(UTC).strftime("%Y-%m")
    deadline = time.monotonic() + 30
    invoices: list = []
    while time.monotonic() < deadline and len(invoices) < 2:
        shown = subprocess.run([str(BIN / "board"), "revenue", "--period", period, "--json"], env=env,
                               capture_output=True, text=True, check=False)  # fmt: skip
        invoices = json.loads(shown.stdout)["invoices"] if shown.returncode == 0 else []
        time.sleep(1)
    out = ROOT / ".local/demo/board"
    out.mkdir(parents=True, exist_ok=True)
    rows = ["payment_id,invoice_id,amount_minor,currency,received_at,method,reference"]
    if len(invoices) >= 2:
        full, partial = invoices[0], invoices[1]
        rows.append(f"demo-pay-1,{full['invoice_id']},{full['total_minor']},{full['currency']},"
                    f"{datetime.now(UTC):%Y-%m-%d},sepa_debit,{full['tenant']} in full")  # fmt: skip
        rows.append(f"demo-pay-2,{partial['invoice_id']},{partial['total_minor'] // 2},{partial['currency']},"
                    f"{datetime.now(UTC):%Y-%m-%d},card,{partial['tenant']} half")  # fmt: skip
    rows.append(f"demo-pay-3,INV-UNKNOWN-42,12000,EUR,{datetime.now(UTC):%Y-%m-%d},wire,no such invoice")
    payments = out / "payments.csv"
    payments.write_text("\n".join(rows) + "\n")
    print(f"the bank's export {payments.relative_to(ROOT)}: one invoice paid, one half paid, one unknown invoice")
    board(env, "payments", "import", str(payments))
    time.sleep(3)  # the board folds the payments
    board(env, "revenue", "--period", period)
    board(env, "sla", "--period", period)
    banner(f"The board pack for {period}: built, checked for completeness, anchored in the ledger, verified")
    built = board(env, "build", "--period", period, "--out", str(out), "--allow-incomplete")
    pdf = out / f"board-{period}.pdf"
    if built.returncode == 0 and pdf.exists():
        key = out / "platform-key.pem"
        key.write_text(env["BOARD_LEDGER_PUBLIC_KEY"])
        board(env, "verify", str(pdf), "--key", str(key))
        print(f"board pack: {pdf}")


def show_platform(port: int, period: str) -> None:
    """What the executive sees in the portal: the board packs, the month's revenue; and a tenant's payment status."""
    base = f"http://127.0.0.1:{port}"
    ceo = bearer(base, "ceo@trustportal")
    for pack in httpx.get(f"{base}/api/v1/platform/board-packs", headers=ceo, timeout=5).json()["packs"][:3]:
        passed = sum(1 for c in pack["checks"] if c["ok"])
        print(f"board pack {pack['period']}: {pack['state']}, {passed}/{len(pack['checks'])} checks, "
              f"sha256 {pack['sha256'][:16] or '-'}..., ledger index {pack['ledger_index']}")  # fmt: skip
    deadline = time.monotonic() + 10
    report = None
    while report is None and time.monotonic() < deadline:  # the board refreshes its reports every 2 s here
        report = httpx.get(f"{base}/api/v1/platform/revenue?period={period}", headers=ceo, timeout=5).json()["report"]
        time.sleep(0.5)
    if report:
        collected = ", ".join(f"{a['amount_minor'] / 100:,.2f} {a['currency']}" for a in report["collected"]) or "none"
        print(f"platform revenue {period}: collected {collected}; {len(report['issues'])} reconciliation finding(s)")
    finance = httpx.get(f"{base}/api/v1/tenants/acme-robotics/finance", headers=bearer(base, "fin@acme-robotics"))
    for invoice in finance.json()["invoices"][:2]:
        print(
            f"acme-robotics invoice {invoice['period']}: {invoice['payment']['status']} (as its finance user sees it)"
        )
    refused = httpx.get(f"{base}/api/v1/platform/revenue", headers=bearer(base, "fin@acme-robotics"))
    print(f"fin@acme-robotics asks for the platform's revenue: HTTP {refused.status_code}")
    print(f"Board view:   {base}/ui/platform/board (sign in as ceo@trustportal or ops@trustportal)")
    show_operations(base, ceo)


def show_operations(base: str, ceo: dict[str, str]) -> None:
    """The platform's own views: the cohorts, SLSA adoption across tenants, the evidence SLO."""
    for row in httpx.get(f"{base}/api/v1/platform/cohorts", headers=ceo, timeout=5).json()["cohorts"][:3]:
        line = ", above the 10% line" if row["over_line"] else ""
        print(f"cohort {row['cohort']}: {row['verified']} of {row['requested']} verified, {row['failed']} failed "
              f"({row['failure_rate']:.1%}{line}), time-to-first-verify p50 {seconds(row['ttfv_p50_s'])}")  # fmt: skip
    adoption = httpx.get(f"{base}/api/v1/platform/slsa-adoption", headers=ceo, timeout=5).json()
    rejected = len(adoption["rejections"])
    print(f"SLSA adoption: {adoption['at_l3']} of {adoption['target_l3']} targeted repositories at Build L3 "
          f"({adoption['repos']} repositories); {rejected} whose latest submission was rejected")  # fmt: skip
    overall = httpx.get(f"{base}/api/v1/platform/evidence-slo", headers=ceo, timeout=5).json()["overall"]
    print(f"evidence time-to-pack over {overall['timed']} pack(s): p50 {seconds(overall['p50_s'])}, "
          f"p95 {seconds(overall['p95_s'])} (objective: p50 within 7 min)")  # fmt: skip
    print(f"Platform views: {base}/ui/platform/cohorts, /ui/platform/slsa-adoption, /ui/platform/evidence-slo")


def seconds(value: float | None) -> str:
    """A duration in seconds for the console; a dash when there is none."""
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def main() -> int:
    """Run the demo; exit non-zero if any example partner failed to onboard."""
    env = {
        **os.environ,
        "ONBOARDING_HTTP_PORT": os.environ.get("ONBOARDING_HTTP_PORT", "8081"),
        "PORTAL_HTTP_PORT": os.environ.get("PORTAL_HTTP_PORT", "8080"),
        "PORTAL_METRICS_PORT": os.environ.get("PORTAL_METRICS_PORT", "9464"),
        "PORTAL_DEV_MODE": "true",
        "PORTAL_DEV_USERS_FILE": str(ROOT / "examples/portal-users.json"),
        "PORTAL_COOKIE_SECURE": "false",  # plain http on loopback
        "PORTAL_USAGE_FLUSH_S": "2",
        "SLSA_WATCH_HTTP_PORT": os.environ.get("SLSA_WATCH_HTTP_PORT", "8083"),
        "EVIDENCE_HTTP_PORT": os.environ.get("EVIDENCE_HTTP_PORT", "8084"),
        "BOARD_HTTP_PORT": os.environ.get("BOARD_HTTP_PORT", "8085"),
        "BOARD_PROBE_HTTP_PORT": os.environ.get("BOARD_PROBE_HTTP_PORT", "8086"),
        "BOARD_PROBE_INTERVAL_S": "1",  # the demo lasts minutes; production probes every 10 s
        "BOARD_REVENUE_REFRESH_S": "2",  # the portal's revenue view follows the payments within seconds
        "BOARD_DESIGN_PARTNERS": json.dumps({"acme-robotics": "signed", "bluefin-labs": "pilot"}),
    }
    settings = OnboardingSettings()
    logs = ROOT / ".local/demo"
    logs.mkdir(parents=True, exist_ok=True)
    env["EVIDENCE_SIGNING_KEY"] = evidence_key()
    env["BOARD_LEDGER_PUBLIC_KEY"] = ledger_public_key(env["EVIDENCE_SIGNING_KEY"])
    env["BOARD_PORTAL_URL"] = env["BOARD_PORTAL_PUBLIC_URL"] = f"http://127.0.0.1:{env['PORTAL_HTTP_PORT']}"

    banner("Local stack: Kafka (KRaft) and FerretDB are up (make up)")
    banner(f"Webhook receiver for the example partners on http://127.0.0.1:{RECEIVER_PORT}/hooks/<tenant>")
    receiver = start_receiver(settings)
    banner(f"Onboarding service (health on http://127.0.0.1:{env['ONBOARDING_HTTP_PORT']}/readyz)")
    service = ServiceProcess(env, logs / "onboarding.log", port=int(env["ONBOARDING_HTTP_PORT"]))
    portal_port = int(env["PORTAL_HTTP_PORT"])
    portal = ServiceProcess(
        env, logs / "portal-api.log", port=portal_port, command="portal-api", port_env="PORTAL_HTTP_PORT"
    )
    watch = ServiceProcess(
        env, logs / "slsa-watch.log", port=int(env["SLSA_WATCH_HTTP_PORT"]), command="slsa-watch",
        port_env="SLSA_WATCH_HTTP_PORT",
    )  # fmt: skip
    evidence = ServiceProcess(
        env, logs / "evidence.log", port=int(env["EVIDENCE_HTTP_PORT"]), command="evidence",
        port_env="EVIDENCE_HTTP_PORT",
    )  # fmt: skip
    board_service = ServiceProcess(
        env, logs / "board.log", port=int(env["BOARD_HTTP_PORT"]), command="board", port_env="BOARD_HTTP_PORT"
    )
    prober: ServiceProcess | None = None
    try:
        service.start()
        banner(f"Trust Portal API in dev mode on http://127.0.0.1:{portal_port}")
        portal.start()
        banner(f"SLSA watch (health on http://127.0.0.1:{env['SLSA_WATCH_HTTP_PORT']}/readyz)")
        watch.start()
        banner(f"Evidence (health on http://127.0.0.1:{env['EVIDENCE_HTTP_PORT']}/readyz)")
        evidence.start()
        banner(f"Board (health on http://127.0.0.1:{env['BOARD_HTTP_PORT']}/readyz)")
        board_service.start()
    except ServiceNotReadyError as exc:
        evidence.stop()
        watch.stop()
        portal.stop()
        service.stop()
        receiver.stop()
        sys.exit(f"demo: {exc}")
    try:
        banner(f"Onboarding the example cohort {COHORT!r} from examples/tenants.csv")
        batch = subprocess.run(
            [str(BIN / "trust-portal-onboard"), "--batch", str(ROOT / "examples/tenants.csv"), "--cohort", COHORT],
            env=env,
            check=False,
        )
        banner("Cohort summary")
        subprocess.run([str(BIN / "trust-portal-onboard"), "status", "--cohort", COHORT], env=env, check=False)
        signed = [d for d in receiver.deliveries if d.signature_ok]
        print(
            f"webhook pings this run: {len(receiver.deliveries)}, signatures verified: {len(signed)}"
            " (a rerun pings nobody: every partner is already onboarded)"
        )
        banner("The portal: one tenant's auditor, then another tenant's admin, read acme-robotics")
        show_portal(portal_port)
        banner("SLSA: trust policies and CI keys, then provenance for 8 repositories (L3, L2 and rejected)")
        provenance_demo(portal_port)
        banner("SLSA map and adoption (verified by slsa-watch, shown in the portal)")
        show_slsa_map(portal_port, env)
        banner("SLSA L3 rollout: two more repositories release through the hermetic workflow (partner CLI)")
        l3_rollout(portal_port, env)
        banner("Evidence packs: one per tenant, signed, in the Merkle ledger; one verified offline")
        evidence_demo(portal_port, env)
        banner("Metered usage and invoices (UsageRecorded batches, InvoiceIssued once per tenant and period)")
        show_finance(portal_port, env)
        banner("The SLA prober: /readyz and a tenant-scoped read, from outside, every second (demo)")
        probe_env = {**env, "BOARD_PROBE_TENANT": "acme-robotics", "BOARD_PROBE_API_KEY": prober_key(portal_port)}
        prober = ServiceProcess(probe_env, logs / "board-prober.log", port=int(env["BOARD_PROBE_HTTP_PORT"]),
                                command="board", port_env="BOARD_PROBE_HTTP_PORT", args=("probe",))  # fmt: skip
        prober.start()
        time.sleep(8)
        banner("Board: payments, revenue and reconciliation, SLA")
        board_demo(env)
        banner("The platform's own views in the portal")
        show_platform(portal_port, datetime.now(UTC).strftime("%Y-%m"))
        banner("Trust Portal")
        print(f"web UI:       http://127.0.0.1:{portal_port}/ui")
        print(f"dev sign-in:  http://127.0.0.1:{portal_port}/dev/sign-in, as any of:")
        for member in load_members(ROOT / "examples/portal-users.json"):
            roles = "; ".join(f"{t}: {', '.join(r)}" for t, r in member.tenant_roles.items())
            roles += f"platform: {', '.join(member.platform_roles)}" if member.platform_roles else ""
            roles = roles or "no roles"
            print(f"  {member.id:<20} {member.name:<16} {roles}")
        print(f"API docs:     http://127.0.0.1:{portal_port}/docs")
        print(f"logs:         {logs}")
        if sys.stdin.isatty() and os.environ.get("DEMO_KEEP_RUNNING", "1") != "0":
            print("\nThe services keep running; press Ctrl-C to stop them.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return batch.returncode
    finally:
        if prober is not None:
            prober.stop()
        board_service.stop()
        evidence.stop()
        watch.stop()
        portal.stop()
        service.stop()
        receiver.stop()


if __name__ == "__main__":
    sys.exit(main())
