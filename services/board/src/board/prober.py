"""The prober: calls the portal from outside as a user would, and publishes what it saw as ProbeResult.

Each round probes `/readyz` and a tenant-scoped read with the synthetic tenant's API key. A result that
cannot be published (Kafka away) is kept, up to a bound, and published first in the next round, so
a broker outage does not look like a prober outage.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from schemas.sla import ProbeResult, ProbeResultData, Target
from schemas.tenant import PLATFORM_TENANT
from service_kit.logging import get_logger

from board.metrics import ProbeMetrics
from board.ports import EventPublisher

log = get_logger(__name__)
SOURCE = "/services/board/prober"


@dataclass(frozen=True)
class Check:
    """One thing probed: where, with which headers, and what a good answer is."""

    target: Target
    url: str
    headers: dict[str, str]
    expect_tenant: str | None = None

    def judged(self, response: httpx.Response) -> str | None:
        """None when the answer is what a user expects; else why not."""
        if response.status_code != 200:
            return f"status {response.status_code}"
        if self.expect_tenant is None:
            return None
        try:
            body = response.json()
        except ValueError:
            return "the answer is not JSON"
        if not isinstance(body, dict) or body.get("tenant") != self.expect_tenant:
            return f"the answer is not {self.expect_tenant}'s overview"
        return None


def checks(portal_url: str, tenant: str, api_key: str | None) -> list[Check]:
    """The portal's readiness, and the synthetic tenant's overview when a tenant and key are configured."""
    base = portal_url.rstrip("/")
    found = [Check("readyz", f"{base}/readyz", {})]
    if tenant and api_key:
        found.append(
            Check("tenant-read", f"{base}/api/v1/tenants/{tenant}/overview", {"authorization": f"Bearer {api_key}"},
                  expect_tenant=tenant)
        )  # fmt: skip
    return found


class Prober:
    """Probes every check once per round and publishes each result (keeping those Kafka refused)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        checks: list[Check],
        publisher: EventPublisher,
        clock: Callable[[], datetime],
        *,
        prober_id: str,
        buffer: int = 10_000,
        metrics: ProbeMetrics | None = None,
    ) -> None:
        self.client, self.checks, self.publisher, self.clock = client, checks, publisher, clock
        self.prober_id = prober_id
        self.metrics = metrics
        self.pending: deque[ProbeResult] = deque(maxlen=buffer)

    async def probe(self, check: Check) -> ProbeResult:
        """Call one check and judge its answer (a timeout or refused connection is a failed probe)."""
        at = self.clock()
        began = time.perf_counter()
        status: int | None = None
        try:
            response = await self.client.get(check.url, headers=check.headers)
            status = response.status_code
            error = check.judged(response)
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
        latency = (time.perf_counter() - began) * 1000
        if self.metrics is not None:
            self.metrics.observe(check.target, error is None, latency)
        data = ProbeResultData(
            target=check.target, url=check.url, ok=error is None, status=status, latency_ms=round(latency, 3),
            error=error, probed_at=at, prober=self.prober_id,
        )  # fmt: skip
        return ProbeResult.create(data=data, source=SOURCE, tenantid=PLATFORM_TENANT, time=at)

    async def round(self) -> int:
        """Probe every check, then publish what is pending in order; how many results were published."""
        for check in self.checks:
            self.pending.append(await self.probe(check))
        published = 0
        while self.pending:
            try:
                await self.publisher.publish(self.pending[0])
            except Exception as exc:
                log.warning(
                    "probe results kept until Kafka answers", pending=len(self.pending), error=type(exc).__name__
                )
                break
            self.pending.popleft()
            published += 1
        return published
