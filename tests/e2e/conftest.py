"""The onboarding service and CLI as real processes on the real stack."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from onboarding.settings import OnboardingSettings
from service_kit.testing.launcher import ServiceProcess, env_for, free_port

from tests.integration.conftest import (  # noqa: F401 - shared fixtures
    issuer,
    mongo,
    portal,
    portal_settings,
    real_stack,
    receiver,
    settings,
)

BIN = Path(sys.executable).parent


def service_env(cfg: OnboardingSettings, **extra: str) -> dict[str, str]:
    return env_for(cfg, ONBOARDING_VERIFY_SWEEP_S="0.5", ONBOARDING_VERIFY_LEASE_S="2", **extra)


@pytest.fixture
def run_service(settings: OnboardingSettings, tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:  # noqa: F811
    started: list[ServiceProcess] = []

    def start(**extra: str) -> ServiceProcess:
        proc = ServiceProcess(service_env(settings, **extra), tmp_path / "service.log", port=free_port()).start()
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
