"""`make release-verify`: our own images' provenance, judged by our own verifier through our own API.

For each image `make images` built (.local/images/<service>.digest and .intoto.jsonl), the release
job's steps as a partner's would run them: the project's own tenant (trust-portal-releases) registers its
trust policy (the release key and the builders it trusts), its admin creates an engineer key for release
CI, and the partner CLI submits each image by digest (`trust-portal submit-provenance --digest`) and waits
for slsa-watch's verdict (`trust-portal verdict --wait --json`). Portal and slsa-watch run from this
checkout against the local stack (`make up`), on a database and topics of their own
(`trust_portal_releases`, `releases.*`). Prints one line per image (level, hermetic, pinned); exits 1 if
any is rejected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from service_kit.testing.launcher import ServiceNotReadyError, ServiceProcess, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provenance import LOCAL_BUILDER, public_key, release_key

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / ".local/images"
LOGS = ROOT / ".local/release"
SERVICES = ("onboarding", "portal-api", "slsa-watch", "evidence", "board")
TENANT = "trust-portal-releases"  # the project as a partner of its own ("trust-portal" is reserved)
REPO = "github.com/trust-portal/trust-portal"
ADMIN = "release-admin@trust-portal.dev"
GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
RELEASE_WORKFLOW = f"https://{REPO}/.github/workflows/release.yml"
BIN = Path(sys.executable).parent
TOPICS = "releases."  # its own topics and database on the shared local stack


def policy(key_id: str, public: dict[str, str]) -> dict[str, Any]:
    """The project's trust policy: its release key; local and release-workflow builds (L2), the generator (L3)."""
    return {
        "keys": [{"key_id": key_id, **public}],
        "builders": [{"id": LOCAL_BUILDER}, {"id": RELEASE_WORKFLOW, "prefix": True},
                     {"id": GENERATOR, "prefix": True, "hardened": True}],
        "source_repositories": [REPO],
    }  # fmt: skip


def built() -> list[tuple[str, str, Path]]:
    """(service, digest, provenance file) of every image built; exits naming what is missing."""
    found, missing = [], []
    for service in SERVICES:
        digest, provenance = IMAGES / f"{service}.digest", IMAGES / f"{service}.intoto.jsonl"
        if digest.exists() and provenance.exists():
            found.append((service, digest.read_text().strip(), provenance))
        else:
            missing.append(service)
    if missing:
        sys.exit(f"release-verify: no image or provenance for {', '.join(missing)} in {IMAGES}; run `make images`")
    return found


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """One `trust-portal` command, as a release step runs it."""
    return subprocess.run([str(BIN / "trust-portal"), *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603


def register(root: str, admin: dict[str, str], body: dict[str, Any], mongo_uri: str, db: str) -> None:
    """Register the trust policy and wait until slsa-watch holds it."""
    answer = httpx.post(f"{root}/api/v1/tenants/{TENANT}/trust-policy", json=body, headers=admin, timeout=10)
    answer.raise_for_status()
    policy_id = answer.json()["policy_id"]
    with MongoClient[dict[str, Any]](mongo_uri) as mongo:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if mongo[db]["slsa_policies"].find_one({"_id": TENANT, "event.data.policy_id": policy_id}) is not None:
                return
            time.sleep(0.2)
    sys.exit("release-verify: slsa-watch did not take the trust policy within 30 s; see .local/release/*.log")


def judged(env: dict[str, str], service: str, digest: str, provenance: Path) -> dict[str, Any]:
    """Submit one image by digest and wait for its verdict, through the partner CLI."""
    submitted = cli(env, "submit-provenance", "--digest", digest, "--name", f"trust-portal/{service}",
                    "--provenance", str(provenance), "--repo", REPO)  # fmt: skip
    if submitted.returncode != 0:
        return {"status": "error", "reasons": [submitted.stderr.strip()]}
    verdict = cli(env, "verdict", submitted.stdout.strip(), "--wait", "--timeout", "60", "--json")
    if verdict.returncode not in (0, 1):
        return {"status": "error", "reasons": [verdict.stderr.strip() or "no verdict within 60 s"]}
    return dict(json.loads(verdict.stdout))


def shown(service: str, digest: str, verdict: dict[str, Any]) -> str:
    """One image's line."""
    if verdict.get("status") != "verified":
        return f"  {service:<11} {digest[:19]}…  {verdict.get('status', '?').upper()}: " + "; ".join(
            verdict.get("reasons") or ()
        )
    yes = {True: "yes", False: "no"}
    return (f"  {service:<11} {digest[:19]}…  verified  SLSA Build L{verdict['build_level']}  "
            f"hermetic: {yes[bool(verdict.get('hermetic'))]}  pinned: {yes[bool(verdict.get('dependencies_pinned'))]}"
            f"  builder …/{verdict.get('builder_id', '').rsplit('/', 1)[-1]}")  # fmt: skip


def main() -> int:
    """Judge every built image; 0 when every one is verified."""
    images = built()
    pem, key_id = release_key(os.environ)
    LOGS.mkdir(parents=True, exist_ok=True)
    mongo_uri = os.environ.get("MONGO_URI", "mongodb://127.0.0.1:27017/")
    db = os.environ.get("RELEASE_VERIFY_DB", "trust_portal_releases")  # apart from the demo's and the tests' data
    with tempfile.TemporaryDirectory() as tmp:
        users = Path(tmp) / "users.json"
        users.write_text(json.dumps([{"id": ADMIN, "name": "Release Admin", "tenant_roles": {TENANT: ["admin"]}}]))
        apart = {f"PORTAL_{name}_DB": db for name in ("MONGO", "ONBOARDING", "SLSA", "EVIDENCE", "BOARD")}
        apart |= {"SLSA_WATCH_MONGO_DB": db, "PORTAL_TOPIC_PREFIX": TOPICS, "SLSA_WATCH_TOPIC_PREFIX": TOPICS}
        env = {**os.environ, **apart, "PORTAL_DEV_MODE": "true", "PORTAL_DEV_USERS_FILE": str(users),
               "PORTAL_COOKIE_SECURE": "false", "PORTAL_METRICS_PORT": str(free_port())}  # fmt: skip
        portal_port = free_port()
        portal = ServiceProcess(env, LOGS / "portal-api.log", port=portal_port, command="portal-api",
                                port_env="PORTAL_HTTP_PORT")  # fmt: skip
        watch = ServiceProcess(env, LOGS / "slsa-watch.log", port=free_port(), command="slsa-watch",
                               port_env="SLSA_WATCH_HTTP_PORT")  # fmt: skip
        try:
            portal.start()
            watch.start()
            root = f"http://127.0.0.1:{portal_port}"
            token = httpx.post(f"{root}/dev/token", data={"user": ADMIN}, timeout=10).json()["access_token"]
            admin = {"authorization": f"Bearer {token}"}
            register(root, admin, policy(key_id, public_key(pem)), mongo_uri, db)
            created = httpx.post(f"{root}/api/v1/tenants/{TENANT}/api-keys", headers=admin, timeout=10,
                                 json={"name": "release CI (make release-verify)", "role": "engineer"})  # fmt: skip
            created.raise_for_status()
            ci = {**os.environ, "TRUST_PORTAL_URL": root, "TRUST_PORTAL_TENANT": TENANT,
                  "TRUST_PORTAL_API_KEY": created.json()["key"]}  # fmt: skip
            print(f"release-verify: {len(images)} images, tenant {TENANT}, release key {key_id}, via {root}")
            verdicts = {service: judged(ci, service, digest, path) for service, digest, path in images}
        except (ServiceNotReadyError, httpx.HTTPError) as exc:
            print(f"release-verify: {exc}", file=sys.stderr)
            return 2
        finally:
            watch.stop()
            portal.stop()
    for service, digest, _ in images:
        print(shown(service, digest, verdicts[service]))
    return 0 if all(v.get("status") == "verified" for v in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
