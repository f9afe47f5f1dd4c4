"""Helpers of the portal tests: a test identity provider, the seeded tenants and roles, the audit topic."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from pymongo.collection import Collection

from schemas import topics
from tests.integration.support import read_topic

TENANTS = ("acme", "beta", "gamma")
ROLES = ("admin", "engineer", "auditor", "finance", "viewer")

ISSUER, AUDIENCE = "https://id.test", "trust-portal"


class Issuer:
    """A test identity provider: an ES256 key and its JWKS; minting a token also records the user's
    membership in the portal (roles live in the portal, not in the token)."""

    def __init__(self) -> None:
        self.users: Collection[dict[str, Any]] | None = None  # portal_users, set by the portal_settings fixture
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = uuid.uuid4().hex[:8]
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = json.dumps({"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "ES256"}]})

    def token(
        self, sub: str, tenant_roles=None, platform_roles=(), *, ttl=timedelta(minutes=5), claims=None, **extra
    ) -> str:
        now = datetime.now(UTC)
        if self.users is not None:
            member = {"name": sub, "tenant_roles": tenant_roles or {}, "platform_roles": list(platform_roles)}
            self.users.replace_one({"_id": sub}, {"id": sub, **member}, upsert=True)
        payload = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl, **(claims or {}), **extra}
        return jwt.encode(payload, self.key, algorithm="ES256", headers={"kid": self.kid})

    def bearer(self, *args, **kwargs) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(*args, **kwargs)}"}


def audit_records(settings) -> list[dict]:
    return [json.loads(r.value)["data"] for r in asyncio.run(read_topic(settings, topics.AUDIT_EVENTS, idle_s=0.5))]
