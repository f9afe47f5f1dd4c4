"""The portal's API as a partner's release job calls it: retried on 429/503 as the portal asks, idempotent writes.

Every write carries an Idempotency-Key derived from what it reports, so a retried request, or a re-run
of the whole step, is answered with the first answer instead of being recorded twice.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER_S = 120.0  # a Retry-After beyond this is capped: a release step should not hang for hours


class PortalError(Exception):
    """A request the portal refused or could not answer; the message says which and why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def retry_after_s(response: httpx.Response, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """The wait a Retry-After header asks for (seconds or an HTTP date), capped; None without one."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now()).total_seconds(), 0.0), MAX_RETRY_AFTER_S)


def idempotency_key(kind: str, *parts: str) -> str:
    """A key naming what a write reports: the same report gives the same key, from any process."""
    digest = hashlib.sha256("\x1f".join((kind, *parts)).encode()).hexdigest()
    return f"{kind}-{digest[:40]}"


def refusal(response: httpx.Response) -> str:
    """What the portal said when it refused a request, in one line."""
    try:
        detail: Any = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        detail = response.text
    if isinstance(detail, list):  # FastAPI's validation errors: where and why, each
        detail = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', ())[1:]) or 'body'}: {d.get('msg', '')}" for d in detail
        )
    return f"{response.status_code} {response.reason_phrase}: {str(detail)[:500]}"


@dataclass
class Portal:
    """One tenant's API with one key. `sleep` and `transport` are swapped in tests."""

    base_url: str
    api_key: str = field(repr=False)
    tenant: str
    attempts: int = 6
    backoff_s: float = 1.0
    timeout_s: float = 30.0
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    user_agent: str = "trust-portal-cli/0.1.0"

    def request(self, method: str, path: str, *, body: Any = None, key: str | None = None) -> dict[str, Any]:
        """Send one request, retrying 429/502/503/504 and connection failures; the JSON answer."""
        headers = {"authorization": f"Bearer {self.api_key}", "user-agent": self.user_agent}
        if key:
            headers["idempotency-key"] = key
        url = f"/api/v1/tenants/{self.tenant}{path}"
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            headers["content-type"] = "application/json"
        with httpx.Client(base_url=self.base_url, timeout=self.timeout_s, transport=self.transport) as http:
            for attempt in range(1, self.attempts + 1):
                last = attempt == self.attempts
                try:
                    response = http.request(method, url, content=content, headers=headers)
                except httpx.TransportError as exc:
                    if last:
                        raise PortalError(f"{method} {url}: the portal did not answer ({exc})") from None
                    self.sleep(self.backoff(attempt, None))
                    continue
                if response.status_code in RETRIED_STATUSES and not last:
                    self.sleep(self.backoff(attempt, retry_after_s(response)))
                    continue
                if response.status_code >= 400:
                    raise PortalError(f"{method} {url}: {refusal(response)}", response.status_code)
                try:
                    answer: dict[str, Any] = response.json()
                except ValueError:
                    raise PortalError(f"{method} {url}: the answer is not JSON") from None
                return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def backoff(self, attempt: int, asked: float | None) -> float:
        """How long to wait before the next attempt: what the portal asked, else exponential with jitter."""
        if asked is not None:
            return asked
        base: float = min(self.backoff_s * 2.0 ** (attempt - 1), 30.0)
        return base * (0.5 + random.random() / 2)
