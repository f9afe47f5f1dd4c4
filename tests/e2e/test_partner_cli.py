"""The partners' release path end to end: the `trust-portal` CLI (a process) -> the portal (a process) -> Kafka ->
slsa-watch (a process) -> the verdict back through the CLI, whose exit code a release gates on.

The provenance stands in for the SLSA GitHub generator's: an envelope signed by a key the tenant does not trust
(Sigstore's, in a real run), countersigned by the CLI with the organisation's release key the trust policy names.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pymongo import MongoClient
from service_kit.testing.launcher import ServiceProcess, env_for, free_port
from service_kit.testing.provenance import Signer
from slsa_watch.settings import SlsaWatchSettings

from tests.integration.support import wait_for

BIN = Path(sys.executable).parent
REPO = "github.com/acme/robot"
GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"


def test_the_cli_submits_countersigned_provenance_reports_runner_events_and_gates_on_the_verdict(
    issuer, portal_settings, tmp_path: Path
):
    watch_cfg = SlsaWatchSettings(
        kafka_bootstrap=portal_settings.kafka_bootstrap, mongo_uri=portal_settings.mongo_uri,
        mongo_db=portal_settings.mongo_db, topic_prefix=portal_settings.topic_prefix,
    )  # fmt: skip
    port = free_port()
    portal = ServiceProcess(env_for(portal_settings, PORTAL_METRICS_PORT=str(free_port())), tmp_path / "portal.log",
                            port=port, command="portal-api", port_env="PORTAL_HTTP_PORT")  # fmt: skip
    watch = ServiceProcess(env_for(watch_cfg), tmp_path / "slsa-watch.log", port=free_port(), command="slsa-watch",
                           port_env="SLSA_WATCH_HTTP_PORT")  # fmt: skip
    portal.start(timeout_s=60)
    watch.start(timeout_s=60)
    url = f"http://127.0.0.1:{port}"
    try:
        release = ed25519.Ed25519PrivateKey.generate()
        public = release.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        admin = issuer.bearer("ana", {"acme": ["admin"]})
        policy = {"keys": [{"key_id": "acme-release", "algorithm": "ed25519", "public_key_pem": public}],
                  "builders": [{"id": GENERATOR, "prefix": True, "hardened": True}],
                  "source_repositories": [REPO]}  # fmt: skip
        assert httpx.post(f"{url}/api/v1/tenants/acme/trust-policy", json=policy, headers=admin).status_code == 202
        created = httpx.post(f"{url}/api/v1/tenants/acme/api-keys", json={"name": "release", "role": "engineer"},
                             headers=admin).json()  # fmt: skip
        with MongoClient(watch_cfg.mongo_uri) as mongo:
            wait_for(lambda: mongo[watch_cfg.mongo_db]["slsa_policies"].find_one({"_id": "acme"}),
                     what="slsa-watch's copy of the policy")  # fmt: skip
        pem = release.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
        env = {"PATH": str(BIN), "TRUST_PORTAL_URL": url, "TRUST_PORTAL_TENANT": "acme",
               "TRUST_PORTAL_API_KEY": created["key"], "RELEASE_KEY": pem}  # fmt: skip

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([str(BIN / "trust-portal"), *args], env=env, capture_output=True, text=True,
                                  timeout=120, check=False)  # fmt: skip

        job = ["--job-id", "run-42-1-build", "--pool", "hermetic-linux", "--repo", REPO, "--group", "hermetic-v1.0.0"]
        assert cli("runner-event", "queued", *job, "--priority", "release").returncode == 0
        assert cli("runner-event", "started", *job, "--runner", "hermetic-linux-7").returncode == 0

        artifact = tmp_path / "robot.tar.gz"
        artifact.write_bytes(b"robot.tar.gz")  # Signer's statements name sha256 of the artifact's name
        generator = Signer("sigstore-stand-in")  # a signature the tenant does not trust
        provenance = tmp_path / "robot.intoto.jsonl"
        provenance.write_text(generator.envelope(REPO, "robot.tar.gz") + "\n")
        submit = ["submit-provenance", "--artifact", str(artifact), "--provenance", str(provenance), "--repo", REPO]
        unsigned = cli(*submit, "--wait", "--timeout", "90")
        assert unsigned.returncode == 1, unsigned.stdout + unsigned.stderr  # rejected: no trusted signature
        assert "rejected" in unsigned.stdout and "reason: signature:" in unsigned.stdout

        signed = cli(*submit, "--sign-key-env", "RELEASE_KEY", "--key-id", "acme-release", "--wait", "--timeout", "90")
        assert signed.returncode == 0, signed.stdout + signed.stderr
        submission_id = signed.stdout.splitlines()[0]
        assert "verified" in signed.stdout and "SLSA Build L3, hermetic: yes, dependencies pinned: yes" in signed.stdout
        again = cli(*submit, "--sign-key-env", "RELEASE_KEY", "--key-id", "acme-release")
        assert again.returncode == 0 and again.stdout.strip() == submission_id  # a re-run step submits nothing new
        shown = cli("verdict", submission_id, "--json")
        verdict = json.loads(shown.stdout)
        assert shown.returncode == 0 and verdict["status"] == "verified" and verdict["build_level"] == 3
        assert verdict["artifact_sha256"] == hashlib.sha256(b"robot.tar.gz").hexdigest()

        assert cli("runner-event", "finished", *job, "--outcome", "succeeded").returncode == 0
        with MongoClient(watch_cfg.mongo_uri) as mongo:
            jobs = mongo[watch_cfg.mongo_db]["runner_jobs"]
            done = wait_for(lambda: jobs.find_one({"_id": "run-42-1-build", "outcome": "succeeded"}),
                            what="slsa-watch folding the job's three events")  # fmt: skip
        assert done["tenant"] == "acme" and done["priority"] == "release" and done["started_at"] is not None

        beta = {**env, "TRUST_PORTAL_TENANT": "beta"}  # acme's key reaches nothing of another tenant
        other = subprocess.run([str(BIN / "trust-portal"), "verdict", submission_id], env=beta, capture_output=True,
                               text=True, timeout=60, check=False)  # fmt: skip
        assert other.returncode == 2 and "403" in other.stderr and created["key"] not in other.stderr
        wrong = cli("runner-event", "finished", *job)
        assert wrong.returncode == 2 and "outcome" in wrong.stderr  # refused by the portal, the field named
    finally:
        watch.stop()
        portal.stop()
