"""Fixtures on the real stack (Kafka + FerretDB that `make test` starts): isolated by topic prefix and database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from onboarding.adapters.secrets import SecretBox
from onboarding.app import Onboarding, build_app
from onboarding.settings import OnboardingSettings
from portal_api.app import build_app as build_portal
from portal_api.settings import PortalSettings
from pydantic import SecretStr
from pymongo import MongoClient
from service_kit.testing.webhooks import WebhookReceiver

from schemas import topics
from tests.integration.portal_support import AUDIENCE, ISSUER, TENANTS, Issuer
from tests.integration.support import publisher

KAFKA = os.environ.get("ONBOARDING_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
MONGO = os.environ.get("ONBOARDING_MONGO_URI", "mongodb://127.0.0.1:27017/")


@pytest.fixture(scope="session", autouse=True)
def real_stack() -> None:
    """Fail (never skip) with a clear message when the stack is not running."""
    client: MongoClient = MongoClient(MONGO, serverSelectionTimeoutMS=3000)
    try:
        client.admin.command("ping")
    except Exception as exc:
        pytest.fail(f"FerretDB is not reachable at {MONGO} ({exc}); start the stack with `make up`")
    finally:
        client.close()


@pytest.fixture
def settings() -> OnboardingSettings:
    run = uuid.uuid4().hex[:10]
    return OnboardingSettings(
        kafka_bootstrap=KAFKA,
        mongo_uri=MONGO,
        mongo_db=f"it_{run}",
        topic_prefix=f"it-{run}.",
        secrets_key=SecretStr(Fernet.generate_key().decode()),
        webhook_allow_hosts=frozenset({"127.0.0.1"}),
        webhook_max_attempts=4,
        webhook_backoff_s=0.05,
        webhook_backoff_max_s=0.2,
        webhook_timeout_s=2.0,
        handler_max_attempts=3,
        handler_backoff_s=0.01,
        verify_sweep_s=1.0,
        log_json=True,
    )


@pytest.fixture
def mongo(settings: OnboardingSettings) -> Iterator[MongoClient]:
    client: MongoClient = MongoClient(settings.mongo_uri, tz_aware=True)
    yield client
    client.drop_database(settings.mongo_db)
    client.close()


@pytest.fixture
def receiver(settings: OnboardingSettings, mongo: MongoClient) -> Iterator[WebhookReceiver]:
    """A local webhook receiver that checks each ping's signature with the tenant's stored secret."""
    assert settings.secrets_key is not None
    box = SecretBox(settings.secrets_key)

    def secret_for(slug: str) -> str | None:
        doc = mongo[settings.mongo_db]["onboarding_tenants"].find_one({"_id": slug})
        return box.open(doc["webhook_secret_sealed"]) if doc else None

    server = WebhookReceiver(secret_for=secret_for).start()
    yield server
    server.stop()


@pytest.fixture
async def service(settings: OnboardingSettings) -> AsyncIterator[Onboarding]:
    app = build_app(settings)
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
async def publish(settings: OnboardingSettings) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """Publish raw bytes or events to a topic (default: the intake topic)."""
    async with publisher(settings, topics.TENANT_INTAKE) as send:
        yield send


# -- the portal -----------------------------------------------------------------------------------


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
        evidence_db=f"it_{run}",
        slsa_db=f"it_{run}",
        board_db=f"it_{run}",
        topic_prefix=f"it-{run}.",
        jwks_json=issuer.jwks,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        membership_cache_s=0,
        view_cache_s=0,
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
    with TestClient(build_portal(portal_settings)) as client:
        yield client
