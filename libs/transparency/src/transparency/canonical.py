"""Canonical JSON: the one byte form of a JSON value that gets hashed and signed here."""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
