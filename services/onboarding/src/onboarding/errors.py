"""Onboarding's errors, one small tree; each says what to fix.

    OnboardingError
    ├── ConfigurationError   the service cannot start with these settings (names the one to fix)
    ├── RosterError          a tenants.csv cannot be read at all (no row can be trusted)
    └── UnsafeUrlError       a webhook URL must not be contacted (SSRF: scheme, port, address)

A bad row of a roster is not an error but a RowError in the batch's result: the other rows proceed.
"""

from __future__ import annotations

from service_kit.errors import StartupError


class OnboardingError(Exception):
    """Something onboarding refuses; the message says what and why."""


class ConfigurationError(OnboardingError, StartupError):
    """The service cannot start with these settings; the message says which one to fix."""


class RosterError(OnboardingError, ValueError):
    """The file as a whole cannot be read (no row can be trusted); the message says why."""


class UnsafeUrlError(OnboardingError, ValueError):
    """The URL must not be contacted; the message says why."""
