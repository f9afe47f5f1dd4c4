"""Shared fixtures of the portal tests: a test identity provider and a portal on the real stack."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from portal_api.app import build_app
from portal_api.settings import PortalSettings
from pymongo import MongoClient

from schemas import topics
from tests.integration.conftest import KAFKA, MONGO
from tests.integration.support import read_topic

TENANTS = ("acme", "beta", "gamma")
ROLES = ("admin", "engineer", "auditor", "finance", "viewer")

ISSUER, AUDIENCE = "https://id.test", "trust-portal"


class Issuer:
    """A test identity provider: an ES256 key and its JWKS; minting a token also records the user's
    membership in the portal (roles live in the portal, not in the token)."""

    def __init__(self) -> None:
        self.users = None  # the portal's portal_users collection, set by the portal_settings fixture
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


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def portal_settings(issuer: Issuer):
    run = uuid.uuid4().hex[:10]
    settings = PortalSettings(
        kafka_bootstrap=KAFKA,
        mongo_uri=MONGO,
        mongo_db=f"it_{run}",
        onboarding_db=f"it_{run}",
        topic_prefix=f"it-{run}.",
        jwks_json=issuer.jwks,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        membership_cache_s=0,
        cookie_secure=False,
    )
    client: MongoClient = MongoClient(MONGO, tz_aware=True)
    issuer.users = client[settings.mongo_db]["portal_users"]
    now = datetime.now(UTC)
    for slug in TENANTS:
        client[settings.onboarding_db]["onboarding_tenants"].insert_one(
            {
                "_id": slug,
                "slug": slug,
                "display_name": f"{slug.title()} Ltd",
                "contact_email": f"ops@{slug}.example",
                "plan": "standard",
                "cohort": "wave-1",
                "webhook_url": f"https://hooks.{slug}.example/h",
                "state": "onboarded",
                "request_id": f"req-{slug}",
                "requested_at": now,
                "webhook_secret_sealed": f"SEALED-{slug}",
                "outbox": ["{}"],
            }
        )
    yield settings
    client.drop_database(settings.onboarding_db)
    client.close()


@pytest.fixture
def portal(portal_settings):
    with TestClient(build_app(portal_settings)) as client:
        yield client


def audit_records(settings) -> list[dict]:
    return [json.loads(r.value)["data"] for r in asyncio.run(read_topic(settings, topics.AUDIT_EVENTS, idle_s=0.5))]
