"""The images `make images` built, run as the Kubernetes manifests run them: against the local stack (host
network), read-only root filesystem, user 10001, every capability dropped. Each answers /readyz, stops
cleanly on SIGTERM within its grace period, carries its OCI labels and no build tools, and its SBOM lists
exactly the Python distributions installed in it; a rebuild with no cache gives the same digest, even after
another commit's build warmed the layer cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from board.settings import BoardSettings
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from evidence.settings import EvidenceSettings
from onboarding.settings import OnboardingSettings
from portal_api.settings import PortalSettings
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from service_kit.testing.launcher import env_for, free_port
from slsa_watch.settings import SlsaWatchSettings

from tests.integration.conftest import KAFKA, MONGO

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / ".local/images"
VERSION = "0.1.0"
GRACE_S = 45  # terminationGracePeriodSeconds of the Deployments
CONF = {**os.environ, "CONTAINERS_CONF": str(ROOT / "deploy/docker/containers.conf")}


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, env=CONF, check=False)


def settings_for(service: str, run: str) -> tuple[BaseSettings, dict[str, str]]:
    """The service's settings on the local stack, on a database and topics of its own, and its port variable."""
    common: dict[str, Any] = {
        "kafka_bootstrap": KAFKA,
        "mongo_uri": MONGO,
        "mongo_db": f"img_{run}",
        "topic_prefix": f"img-{run}.",
    }
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    port = str(free_port())
    if service == "onboarding":
        return OnboardingSettings(**common, secrets_key=SecretStr(Fernet.generate_key().decode())), {
            "ONBOARDING_HTTP_PORT": port}  # fmt: skip
    if service == "portal-api":
        return PortalSettings(**common, onboarding_db=common["mongo_db"], slsa_db=common["mongo_db"],
                              evidence_db=common["mongo_db"], board_db=common["mongo_db"]), {
            "PORTAL_HTTP_PORT": port, "PORTAL_METRICS_PORT": str(free_port())}  # fmt: skip
    if service == "slsa-watch":
        return SlsaWatchSettings(**common), {"SLSA_WATCH_HTTP_PORT": port}
    if service == "evidence":
        return EvidenceSettings(**common, signing_key=SecretStr(pem)), {"EVIDENCE_HTTP_PORT": port}
    return BoardSettings(**common, ledger_public_key=public), {"BOARD_HTTP_PORT": port}


SERVICES = ("onboarding", "portal-api", "slsa-watch", "evidence", "board")


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    if shutil.which("podman") is None:
        pytest.fail("podman is missing: `make images` installs it (Debian's podman, runc, mmdebstrap)")
    missing = [s for s in SERVICES if podman("image", "exists", f"trust-portal/{s}:{VERSION}").returncode]
    if missing:
        pytest.fail(f"images not built: {missing}; `make images` builds them")


@pytest.mark.parametrize("service", SERVICES)
def test_each_image_runs_hardened_as_kubernetes_runs_it_answers_readyz_and_stops_cleanly_on_sigterm(service: str):
    run = uuid.uuid4().hex[:8]
    settings, port_env = settings_for(service, run)
    prefix = str(settings.model_config.get("env_prefix", ""))
    env = {k: v for k, v in env_for(settings, **port_env).items() if k.startswith(prefix)}
    name = f"tp-test-{service}-{run}"
    flags = [f"--env={k}={v}" for k, v in sorted(env.items())]
    started = podman("run", "-d", "--name", name, "--network=host", "--read-only", "--tmpfs=/tmp:size=64m",
                     "--user=10001:10001", "--cap-drop=ALL", "--security-opt=no-new-privileges", *flags,
                     f"trust-portal/{service}:{VERSION}")  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        url = f"http://127.0.0.1:{next(v for k, v in port_env.items() if k.endswith('_HTTP_PORT'))}/readyz"
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(url, timeout=2).status_code
            except httpx.HTTPError:
                time.sleep(0.5)
            if podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip() != "true":
                break
        assert status == 200, podman("logs", name).stdout[-3000:] + podman("logs", name).stderr[-3000:]
        user = podman("exec", name, "id", "-u").stdout.strip()
        assert user == "10001"
        asked = time.monotonic()
        podman("stop", "--time", str(GRACE_S), name, timeout=GRACE_S + 30)  # SIGTERM, then SIGKILL after the grace
        took = time.monotonic() - asked
        code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert code == "0" and took < GRACE_S, (code, took, podman("logs", name).stderr[-2000:])
    finally:
        podman("rm", "-f", name)


@pytest.mark.parametrize("service", SERVICES)
def test_each_image_has_its_labels_no_build_tools_and_an_sbom_of_exactly_what_it_holds(service: str):
    image = f"trust-portal/{service}:{VERSION}"
    labels = json.loads(podman("image", "inspect", "--format", "{{json .Labels}}", image).stdout)
    for label in ("source", "revision", "version", "licenses"):
        assert labels.get(f"org.opencontainers.image.{label}"), label
    assert labels["org.opencontainers.image.version"] == VERSION
    look = "ls /opt/app/bin; ls -d /opt/uv /root/.cache/uv /src 2>/dev/null; command -v gcc uv; true"
    listing = podman("run", "--rm", "--network=none", image, "/bin/sh", "-c", look)
    assert not {"pip", "uv", "gcc", "/opt/uv", "/src"} & set(listing.stdout.split()), listing.stdout
    installed = podman("run", "--rm", "--network=none", image, "/opt/app/bin/python", "-c",
                       "import importlib.metadata as m, json; "
                       "print(json.dumps(sorted({(d.metadata['Name'].lower().replace('_', '-'), d.version) "
                       "for d in m.distributions()})))")  # fmt: skip
    held = {tuple(x) for x in json.loads(installed.stdout)}
    sbom = json.loads((IMAGES / f"{service}.cdx.json").read_text())
    listed = {(c["name"].lower().replace("_", "-"), c["version"]) for c in sbom["components"]}
    assert held == listed, (held - listed, listed - held)


def build_onboarding(**env: str) -> str:
    rebuilt = subprocess.run(["bash", str(ROOT / "deploy/docker/build.sh"), "onboarding"], env={**CONF, **env},
                             capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:] + rebuilt.stderr[-2000:]
    return (IMAGES / "onboarding.digest").read_text().strip()


def test_a_build_gives_the_same_image_digest_with_a_cache_warmed_by_another_commit_as_with_no_cache():
    # Another commit's build first (its time and revision), as CI's machine keeps the layers of the last run;
    # then this commit's with that cache, then with none: the two digests are one.
    other = build_onboarding(REVISION="0" * 40, SOURCE_DATE_EPOCH="1700000000")
    cached = build_onboarding()
    uncached = build_onboarding(NO_CACHE="1")
    assert cached.startswith("sha256:") and uncached == cached
    assert other != cached  # the time and revision are in the image: a different commit is a different digest
