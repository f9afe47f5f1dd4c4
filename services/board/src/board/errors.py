"""The board service's errors, one small tree.

BoardError
├── ConfigurationError    the service or a CLI cannot start with these settings (names the one to fix)
└── PaymentsFileError     a payments export cannot be read at all (no row can be trusted)
"""

from __future__ import annotations

from service_kit.errors import StartupError


class BoardError(Exception):
    """Something the board service refuses; the message says what and why."""


class ConfigurationError(BoardError, StartupError):
    """The service cannot start with these settings; the message says which one to fix."""


class PaymentsFileError(BoardError):
    """A payments file is unreadable as a whole (not CSV, no header, a required column missing)."""
