"""The evidence service's errors, one small tree.

EvidenceError
├── ConfigurationError    the service cannot start with these settings (names the one to fix)
└── PackInProgressError   another builder holds a fresh claim on the pack (a TimeoutError: redelivered later)
"""

from __future__ import annotations

from service_kit.errors import StartupError


class EvidenceError(Exception):
    """Something the evidence service refuses; the message says what and why."""


class ConfigurationError(EvidenceError, StartupError):
    """The service cannot start with these settings; the message says which one to fix."""


class PackInProgressError(EvidenceError, TimeoutError):
    """Another builder holds a fresh claim on this pack; the request comes back later (a transient error)."""
