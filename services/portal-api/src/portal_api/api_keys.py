"""Per-tenant API keys for machines (partner CI): generated here, shown once, stored only as a hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Literal

from pydantic import Field
from schemas.envelope import Contract, UtcDatetime

PREFIX = "tpk"
KEY_ID_PATTERN = r"^[a-z2-7]{16}$"
"""A key id: 10 random bytes in lowercase base32."""
TOKEN = re.compile(rf"^{PREFIX}_([a-z2-7]{{16}})_([A-Za-z0-9_-]{{43}})$")
KeyRole = Literal["engineer", "viewer"]


class ApiKeyRecord(Contract):
    """A stored API key: its id, tenant and role, and the sha256 of its secret (never the secret)."""

    key_id: str
    tenant: str
    name: str = Field(min_length=1, max_length=80)
    role: KeyRole
    secret_sha256: str
    hint: str = Field(description="The key's prefix and id, to recognise it in lists and logs.")
    created_at: UtcDatetime
    created_by: str
    revoked_at: UtcDatetime | None = None

    def public(self) -> dict[str, object]:
        """What a list shows: everything but the hash."""
        return self.model_dump(mode="json", exclude={"secret_sha256"})


def _digest(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def generate(tenant: str, name: str, role: KeyRole, *, created_by: str, now: datetime) -> tuple[ApiKeyRecord, str]:
    """A new key: the record to store and the token to show once (tpk_<id>_<secret>)."""
    key_id = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    record = ApiKeyRecord(
        key_id=key_id,
        tenant=tenant,
        name=name,
        role=role,
        secret_sha256=_digest(secret),
        hint=f"{PREFIX}_{key_id}",
        created_at=now,
        created_by=created_by,
    )
    return record, f"{PREFIX}_{key_id}_{secret}"


def parse(token: str) -> tuple[str, str] | None:
    """The key id and secret of a well-formed token, or None."""
    match = TOKEN.match(token)
    return (match.group(1), match.group(2)) if match else None


def verify(record: ApiKeyRecord | None, secret: str) -> bool:
    """Whether `secret` belongs to a live key, compared in constant time."""
    expected = record.secret_sha256 if record is not None else _digest("")
    matches = hmac.compare_digest(expected, _digest(secret))
    return record is not None and record.revoked_at is None and matches
