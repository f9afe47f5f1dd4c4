"""Running the onboarding service as a child process, ready when /readyz says so (demo, bench, e2e tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from onboarding.settings import OnboardingSettings


class ServiceNotReadyError(RuntimeError):
    """The child process exited or never became ready; the message names its log."""


def env_for(settings: OnboardingSettings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process `settings` (plus `extra` ONBOARDING_* overrides)."""
    env = {**os.environ}
    for name, value in settings.model_dump(exclude_none=True).items():
        if name == "secrets_key":
            value = settings.secrets_key.get_secret_value() if settings.secrets_key else ""
        elif isinstance(value, frozenset | set | list | tuple):
            value = "[" + ",".join(f'"{v}"' for v in sorted(value)) + "]"
        env[f"ONBOARDING_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env.update(extra)
    return env


class ServiceProcess:
    """`onboarding-service` in a subprocess, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path, *, port: int) -> None:
        self.env = {**env, "ONBOARDING_HTTP_PORT": str(port)}
        self.port = port
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout_s: float = 30.0) -> ServiceProcess:
        """Start the process and wait until /readyz answers 200 (Kafka and MongoDB reachable)."""
        binary = Path(sys.executable).parent / "onboarding-service"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([str(binary)], env=self.env, stdout=out, stderr=out)  # noqa: S603
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceNotReadyError(f"onboarding-service exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.proc.kill()
        raise ServiceNotReadyError(f"onboarding-service not ready after {timeout_s:.0f} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to finish anything."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
