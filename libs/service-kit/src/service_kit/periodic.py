"""A step run every few seconds in the background for as long as a service runs (flushes, syncs, sweeps)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from service_kit.logging import get_logger

__all__ = ["Periodic"]

log = get_logger(__name__)


class Periodic:
    """Runs `step` every `interval_s` seconds once started; a failing step is logged and the next one runs.

    `sleep` is injectable so tests drive the loop without waiting.
    """

    def __init__(
        self,
        name: str,
        interval_s: float,
        step: Callable[[], Awaitable[object]],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.interval_s = interval_s
        self.step = step
        self.sleep = sleep
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop (idempotent)."""
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run(), name=self.name)

    async def run(self) -> None:
        """Sleep, step, forever."""
        while True:
            await self.sleep(self.interval_s)
            try:
                await self.step()
            except Exception as exc:
                log.warning(
                    "periodic step failed; next one in its interval",
                    task=self.name,
                    error=f"{type(exc).__name__}: {exc}",
                )

    async def stop(self) -> None:
        """Cancel the loop and wait until it has stopped."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
