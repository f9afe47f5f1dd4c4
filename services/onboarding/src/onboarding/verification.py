"""Webhook verification: a Standard Webhooks signed ping, retried with backoff, jitter and Retry-After."""

from __future__ import annotations

import email.utils
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from standardwebhooks import Webhook

from onboarding.domain import PingOutcome


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt: a status, or an error, or a refusal that no retry can change."""

    status_code: int | None = None
    latency_ms: float = 0.0
    error: str | None = None
    retry_after: str | None = None
    refused: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        """Why the attempt failed, for a human."""
        if self.refused:
            return self.refused
        if self.error:
            return self.error
        return f"HTTP {self.status_code}"


class Sender(Protocol):
    """Posts a body with headers to a URL (the SSRF-guarded HTTP adapter, or a test double)."""

    async def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        """POST `body` with `headers` to `url`; the attempt's outcome, never an exception."""
        ...


@dataclass(frozen=True)
class RetrySchedule:
    """Bounded retries: exponential backoff with equal jitter, Retry-After honoured up to a cap."""

    max_attempts: int = 5
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0

    def delay(self, attempt: int, retry_after: str | None, *, now: datetime, rand: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        hinted = parse_retry_after(retry_after, now=now)
        if hinted is not None:
            return min(hinted, self.retry_after_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_s * 2.0 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# Statuses that say retrying is pointless: the endpoint is gone, or redirects we never follow.
FINAL_STATUSES = frozenset({301, 302, 303, 307, 308, 410})


def signed_ping(slug: str, msg_id: str, secret: str, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The ping's body and Standard Webhooks headers (webhook-id, -timestamp, -signature)."""
    payload = json.dumps(
        {"type": "trustportal.webhook.ping", "timestamp": now.isoformat(), "data": {"tenant": slug}},
        separators=(",", ":"),
    )
    signature = Webhook(secret).sign(msg_id, now, payload)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "user-agent": "TrustPortal-Webhooks/1",
    }
    return payload.encode(), headers


async def verify_webhook(  # noqa: PLR0913 - the ping, its schedule and its clock, all keyword-only
    url: str,
    *,
    slug: str,
    secret: str,
    msg_id: str,
    send: Sender,
    schedule: RetrySchedule,
    sleep: Callable[[float], Awaitable[None]],
    clock: Callable[[], datetime],
    rand: Callable[[], float] = random.random,
) -> PingOutcome:
    """Ping `url` until it answers 2xx or the attempts run out; the same webhook-id on every retry."""
    attempt = Attempt()
    for number in range(1, schedule.max_attempts + 1):
        body, headers = signed_ping(slug, msg_id, secret, now=clock())
        attempt = await send(url, body, headers)
        if attempt.ok:
            return PingOutcome(True, number, attempt.status_code, attempt.latency_ms)
        if attempt.refused:
            return PingOutcome(False, number - 1, None, 0.0, reason=attempt.refused)
        if attempt.status_code in FINAL_STATUSES:
            return PingOutcome(False, number, attempt.status_code, attempt.latency_ms, reason=attempt.describe())
        if number < schedule.max_attempts:
            await sleep(schedule.delay(number, attempt.retry_after, now=clock(), rand=rand))
    reason = f"{attempt.describe()} after {schedule.max_attempts} attempts"
    return PingOutcome(False, schedule.max_attempts, attempt.status_code, attempt.latency_ms, reason=reason)
