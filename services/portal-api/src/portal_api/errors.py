"""The portal's refusals, each mapped to one HTTP status by the app (never a stack trace)."""

from __future__ import annotations


class DependencyUnavailableError(Exception):
    """MongoDB or Kafka did not answer in time: 503 with Retry-After."""


class ForbiddenError(Exception):
    """The policy refused: 403, the same body whatever the reason (no probing of other tenants)."""


class NotFoundError(Exception):
    """Nothing of that id in this tenant (also when it exists in another one)."""
