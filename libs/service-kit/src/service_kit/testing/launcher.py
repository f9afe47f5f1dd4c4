"""Running a service as a child process, ready when its /readyz says so (demo, benchmarks, e2e tests)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings

__all__ = ["ServiceNotReadyError", "ServiceProcess", "env_for", "free_port"]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (for a child service to take)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceNotReadyError(RuntimeError):
    """The child process exited or never became ready; the message names its log."""


def env_for(settings: BaseSettings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process `settings` (plus `extra` overrides)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    env = {**os.environ}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, frozenset | set | list | tuple):
            value = json.dumps(sorted(value))
        elif isinstance(value, dict):
            value = json.dumps(value)
        env[f"{prefix}{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env.update(extra)
    return env


class ServiceProcess:
    """A service's console script (with `args`) in a subprocess, logging to a file; `port_env` names its port."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        *,
        port: int,
        command: str = "onboarding-service",
        port_env: str = "ONBOARDING_HTTP_PORT",
        args: tuple[str, ...] = (),
    ) -> None:
        self.env = {**env, port_env: str(port)}
        self.command = command
        self.args = args
        self.port = port
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout_s: float = 30.0) -> ServiceProcess:
        """Start the process and wait until /readyz answers 200 (Kafka and MongoDB reachable)."""
        binary = Path(sys.executable).parent / self.command
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([str(binary), *self.args], env=self.env, stdout=out, stderr=out)  # noqa: S603
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceNotReadyError(f"{self.command} exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.proc.kill()
        raise ServiceNotReadyError(f"{self.command} not ready after {timeout_s:.0f} s; see {self.log}")

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
