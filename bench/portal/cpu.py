"""CPU time of named processes over a measured run (Linux /proc), to say where each request's cost goes."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuMeter:
    """CPU seconds each named process spends between `start` and `stop`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if Path(f"/proc/{pid}").exists()}
        self.before: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        self.spent = {name: cpu_seconds(pid) - self.before[name] for name, pid in self.pids.items()}
        return self.spent

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """Milliseconds of CPU per request, per process, and their total."""
        per = {name: 1000 * s / max(1, requests) for name, s in self.spent.items()}
        return {**per, "total": sum(per.values())}


def pid_file(path: Path) -> int | None:
    """The pid a local-stack pid file names, if it is there."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
