"""The portal's refusals, one small tree; app.py maps each to one HTTP status (never a stack trace).

PortalError
├── AuthenticationError        401  no valid credentials (the message is safe to show)
├── ForbiddenError             403  the policy refused (the same body whatever the reason)
├── NotFoundError              404  nothing of that id in this tenant (also when it is in another)
├── IdempotencyConflictError   422  the Idempotency-Key stood for another request
├── RateLimitedError           429  too many requests in this window (with Retry-After)
└── DependencyUnavailableError 503  MongoDB or Kafka did not answer in time (with Retry-After)
"""

from __future__ import annotations


class PortalError(Exception):
    """A request the portal refuses or cannot serve; the message is safe to show."""


class AuthenticationError(PortalError):
    """No valid credentials: 401."""


class ForbiddenError(PortalError):
    """The policy refused: 403, the same body whatever the reason (no probing of other tenants)."""


class NotFoundError(PortalError):
    """Nothing of that id in this tenant (also when it exists in another one): 404."""


class IdempotencyConflictError(PortalError):
    """The key was used before with a different request: 422, naming the key."""


class RateLimitedError(PortalError):
    """Too many requests in this window: 429 with Retry-After."""

    def __init__(self, scope: str, retry_after_s: int) -> None:
        super().__init__(f"rate limit reached for {scope}")
        self.scope = scope
        self.retry_after_s = retry_after_s


class DependencyUnavailableError(PortalError):
    """MongoDB or Kafka did not answer in time: 503 with Retry-After."""
