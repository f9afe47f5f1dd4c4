"""Background webhook verification: bounded concurrency, so one slow webhook never holds up the rest.

The durable queue is the tenants collection itself: a tenant in state `provisioned` awaits
verification. The intake handler commits its offset once the tenant is stored, then schedules the
verification here; a sweep picks up any tenant whose verification a crash or restart interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from service_kit.logging import get_logger

log = get_logger(__name__)


class VerificationJob(Protocol):
    """What the worker runs: one tenant's verification, and the list of tenants due (handlers.Verifications)."""

    async def verify(self, slug: str) -> None:
        """Verify `slug`'s webhook."""
        ...

    async def due(self) -> list[str]:
        """Tenants awaiting verification that nothing is verifying."""
        ...


class VerificationWorker:
    """Runs `job.verify(slug)` for scheduled tenants, at most `concurrency` at once, each slug once at a time."""

    def __init__(self, job: VerificationJob, *, concurrency: int = 32, sweep_interval_s: float = 15.0) -> None:
        self._job = job
        self._slots = asyncio.Semaphore(concurrency)
        self._active: dict[str, asyncio.Task[None]] = {}
        self._sweep_interval_s = sweep_interval_s
        self._sweeper: asyncio.Task[None] | None = None

    def schedule(self, slug: str) -> None:
        """Verify `slug` soon (no-op if already in hand); the task inherits the caller's trace context."""
        if slug not in self._active:
            self._active[slug] = asyncio.create_task(self._run(slug), name=f"verify:{slug}")

    async def _run(self, slug: str) -> None:
        try:
            async with self._slots:
                await self._job.verify(slug)
        except Exception as exc:  # the lease expires and the sweep retries it
            log.error("verification failed; the sweep will retry", tenant=slug, error=f"{type(exc).__name__}: {exc}")
        finally:
            self._active.pop(slug, None)

    async def sweep(self) -> int:
        """Schedule every tenant awaiting verification without a live lease; return how many."""
        slugs = await self._job.due()
        for slug in slugs:
            self.schedule(slug)
        return len(slugs)

    async def start(self) -> None:
        """Sweep now and then every interval."""
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="verification-sweep")

    async def _sweep_forever(self) -> None:
        while True:
            try:
                found = await self.sweep()
                if found:
                    log.info("resuming verifications", count=found)
            except Exception as exc:
                log.warning("verification sweep failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self._sweep_interval_s)

    async def drain(self) -> None:
        """Wait until every verification scheduled so far (and any they schedule) has finished."""
        while self._active:
            await asyncio.gather(*list(self._active.values()), return_exceptions=True)

    @property
    def in_flight(self) -> int:
        """Verifications scheduled or running."""
        return len(self._active)

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop sweeping; give running verifications `timeout_s` to finish, then cancel them."""
        if self._sweeper:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        tasks = list(self._active.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
