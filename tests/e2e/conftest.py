"""The onboarding service and CLI as real processes on the real stack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from onboarding.settings import OnboardingSettings

from tests.integration.conftest import mongo, real_stack, receiver, settings  # noqa: F401 - shared fixtures

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(cfg: OnboardingSettings, **extra: str) -> dict[str, str]:
    assert cfg.secrets_key is not None
    env = {
        **os.environ,
        "ONBOARDING_KAFKA_BOOTSTRAP": cfg.kafka_bootstrap,
        "ONBOARDING_MONGO_URI": cfg.mongo_uri,
        "ONBOARDING_MONGO_DB": cfg.mongo_db,
        "ONBOARDING_TOPIC_PREFIX": cfg.topic_prefix,
        "ONBOARDING_SECRETS_KEY": cfg.secrets_key.get_secret_value(),
        "ONBOARDING_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
        "ONBOARDING_WEBHOOK_BACKOFF_S": "0.05",
        "ONBOARDING_WEBHOOK_BACKOFF_MAX_S": "0.2",
        "ONBOARDING_WEBHOOK_MAX_ATTEMPTS": "4",
        "ONBOARDING_VERIFY_SWEEP_S": "0.5",
        "ONBOARDING_VERIFY_LEASE_S": "2",
    }
    env.update(extra)
    return env


class ServiceProcess:
    """`onboarding-service` in a subprocess, with its health endpoint."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = {**env, "ONBOARDING_HTTP_PORT": str(self.port)}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([str(BIN / "onboarding-service")], env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (
                f"onboarding-service exited; see {self.log}:\n{self.log.read_text()[-3000:]}"
            )
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=3).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"onboarding-service not healthy in 30 s; see {self.log}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def run_service(settings: OnboardingSettings, tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:  # noqa: F811
    started: list[ServiceProcess] = []

    def start(**extra: str) -> ServiceProcess:
        proc = ServiceProcess(service_env(settings, **extra), tmp_path / "service.log").start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def run_cli(cfg: OnboardingSettings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "trust-portal-onboard"), *args],
        env=service_env(cfg),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
