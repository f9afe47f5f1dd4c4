"""`make demo`: the platform on the local stack, end to end (today: partner onboarding and the portal).

Starts the onboarding service and a local Standard Webhooks receiver, onboards the five-partner
example cohort from examples/tenants.csv with the batch CLI, and prints the cohort summary. Then the
portal in dev mode: isolation and the presentation guard, its writes (trust policy, API key,
provenance, evidence pack request), metered usage and invoices; it prints the web UI's address and
the dev sign-ins. Rerunning it is safe: nothing is onboarded, submitted or billed twice.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from onboarding.adapters.secrets import SecretBox
from onboarding.receiver import WebhookReceiver
from onboarding.settings import OnboardingSettings
from portal_api.members import load_members
from pydantic import SecretStr
from pymongo import MongoClient
from service_kit.launcher import ServiceNotReadyError, ServiceProcess

ROOT = Path(__file__).resolve().parents[1]
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


def portal_writes(port: int) -> None:
    """acme-robotics' admin registers a trust policy and a CI key; CI submits provenance; a pack is requested."""
    base = f"http://127.0.0.1:{port}/api/v1/tenants/acme-robotics"
    admin = bearer(f"http://127.0.0.1:{port}", "ana@acme-robotics")
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    policy = {
        "keys": [{"key_id": "acme-release-2026", "algorithm": "ed25519", "public_key_pem": pem}],
        "builders": [
            {"id": "https://github.com/slsa-framework/slsa-github-generator/", "prefix": True, "hardened": True}
        ],
        "source_repositories": ["github.com/acme-robotics/arm-controller"],
    }
    answer = httpx.post(f"{base}/trust-policy", json=policy, headers={**admin, "idempotency-key": "demo-policy"})
    print(f"admin registers a trust policy: HTTP {answer.status_code} {answer.text}")
    created = httpx.post(f"{base}/api-keys", json={"name": "release CI (demo)"}, headers=admin).json()
    print(f"admin creates an API key for CI: {created['hint']} (the secret is shown once)")
    ci = {"authorization": f"Bearer {created['key']}"}
    submission = {
        "repo": "github.com/acme-robotics/arm-controller",
        "artifact_name": "arm-controller-1.4.0.tar.gz",
        "artifact_sha256": hashlib.sha256(b"arm-controller-1.4.0").hexdigest(),
        "envelope": {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": [{"sig": "AA=="}]},
    }
    answer = httpx.post(f"{base}/provenance", json=submission, headers={**ci, "idempotency-key": "demo-1.4.0"})
    print(f"CI submits provenance (slsa-watch verifies it, a later issue): HTTP {answer.status_code} {answer.text}")
    period = datetime.now(UTC).strftime("%Y-%m")
    answer = httpx.post(f"{base}/evidence-packs", json={"period": period}, headers={**admin, "idempotency-key": "demo"})
    print(f"admin requests an evidence pack for {period}: HTTP {answer.status_code} {answer.text}")


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


def main() -> int:
    """Run the demo; exit non-zero if any example partner failed to onboard."""
    env = {
        **os.environ,
        "ONBOARDING_HTTP_PORT": os.environ.get("ONBOARDING_HTTP_PORT", "8081"),
        "PORTAL_HTTP_PORT": os.environ.get("PORTAL_HTTP_PORT", "8080"),
        "PORTAL_DEV_MODE": "true",
        "PORTAL_DEV_USERS_FILE": str(ROOT / "examples/portal-users.json"),
        "PORTAL_COOKIE_SECURE": "false",  # plain http on loopback
        "PORTAL_USAGE_FLUSH_S": "2",
    }
    settings = OnboardingSettings()
    logs = ROOT / ".local/demo"
    logs.mkdir(parents=True, exist_ok=True)

    banner("Local stack: Kafka (KRaft) and FerretDB are up (make up)")
    banner(f"Webhook receiver for the example partners on http://127.0.0.1:{RECEIVER_PORT}/hooks/<tenant>")
    receiver = start_receiver(settings)
    banner(f"Onboarding service (health on http://127.0.0.1:{env['ONBOARDING_HTTP_PORT']}/readyz)")
    service = ServiceProcess(env, logs / "onboarding.log", port=int(env["ONBOARDING_HTTP_PORT"]))
    portal_port = int(env["PORTAL_HTTP_PORT"])
    portal = ServiceProcess(
        env, logs / "portal-api.log", port=portal_port, command="portal-api", port_env="PORTAL_HTTP_PORT"
    )
    try:
        service.start()
        banner(f"Trust Portal API in dev mode on http://127.0.0.1:{portal_port}")
        portal.start()
    except ServiceNotReadyError as exc:
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
        banner("The portal's writes: trust policy, API key, provenance submission, evidence pack request")
        portal_writes(portal_port)
        banner("Metered usage and invoices (UsageRecorded batches, InvoiceIssued once per tenant and period)")
        show_finance(portal_port, env)
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
        portal.stop()
        service.stop()
        receiver.stop()


if __name__ == "__main__":
    sys.exit(main())
