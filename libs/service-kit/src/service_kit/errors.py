"""The kit's own error: a service that cannot start with its settings (the services' error trees derive from it)."""

from __future__ import annotations

__all__ = ["StartupError"]


class StartupError(RuntimeError):
    """The service cannot start with these settings; the message names the one to fix (exit code 2)."""
