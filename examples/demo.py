"""`make demo`: the platform on the local stack, end to end (today: partner onboarding).

Starts the onboarding service and a local Standard Webhooks receiver, onboards the five-partner
example cohort from examples/tenants.csv with the batch CLI, and prints the cohort summary.
Rerunning it is safe: the same file creates no duplicates.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from onboarding.adapters.secrets import SecretBox
from onboarding.receiver import WebhookReceiver
from onboarding.settings import OnboardingSettings
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


def show_portal(port: int) -> None:
    """Sign in as two dev users and read the same tenant: the portal's isolation and guard, live."""
    base = f"http://127.0.0.1:{port}"
    for user in ("aud@acme-robotics", "bo@bluefin-labs"):
        token = httpx.post(f"{base}/dev/token", data={"user": user}, timeout=5).json()["access_token"]
        response = httpx.get(
            f"{base}/api/v1/tenants/acme-robotics/overview", headers={"authorization": f"Bearer {token}"}, timeout=5
        )
        print(f"{user} reads acme-robotics: HTTP {response.status_code} {response.text}")


def main() -> int:
    """Run the demo; exit non-zero if any example partner failed to onboard."""
    env = {
        **os.environ,
        "ONBOARDING_HTTP_PORT": os.environ.get("ONBOARDING_HTTP_PORT", "8081"),
        "PORTAL_HTTP_PORT": os.environ.get("PORTAL_HTTP_PORT", "8080"),
        "PORTAL_DEV_MODE": "true",
        "PORTAL_DEV_USERS_FILE": str(ROOT / "examples/portal-users.json"),
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
        print(f"\nportal API:   http://127.0.0.1:{portal_port}/docs")
        print(f"dev sign-ins: http://127.0.0.1:{portal_port}/dev/sign-in (users in examples/portal-users.json)")
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
