"""Isolation sweep: every operation in the OpenAPI document, called by every role (users and API keys) of
two other tenants with acme's paths and ids, and with their own paths and acme's ids. Nothing of acme's
may come back, and nothing of acme's may change."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from portal_api.app import build_app
from pymongo import MongoClient

from tests.integration.conftest import MONGO
from tests.integration.portal_support import ROLES

MARK = "ACME-PRIVATE"
PACK = "acme-pack-0001"  # an id the callers send (their own audit trail may echo it); its contents carry MARK
NOW = datetime.now(UTC)
# A valid body for each write, so a refusal is the policy's and not the validator's.
BODIES = {
    ("post", "/api/v1/tenants/{tenant}/evidence-packs"): {"period": "2026-10"},
    ("post", "/api/v1/tenants/{tenant}/api-keys"): {"name": "sweep"},
    ("post", "/api/v1/tenants/{tenant}/provenance"): {
        "repo": "github.com/x/y",
        "artifact_name": "y",
        "artifact_sha256": "b" * 64,
        "envelope": {"payloadType": "t", "payload": "cA==", "signatures": [{"sig": "cw=="}]},
    },
    ("post", "/api/v1/tenants/{tenant}/trust-policy"): {
        "keys": [
            {
                "key_id": "k",
                "algorithm": "ed25519",
                "public_key_pem": "-----BEGIN PUBLIC KEY-----\n"
                "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
                "-----END PUBLIC KEY-----\n",
            }
        ],
        "builders": [{"id": "https://builder.example/"}],
        "source_repositories": ["github.com/x/y"],
    },
}


def seed_acme(db, key_id: str) -> None:
    """Acme's private data in every portal read model, each carrying MARK."""
    db["portal_slsa_repos"].insert_one(
        {"_id": "acme/r", "tenant": "acme", "repo": f"github.com/acme/{MARK}", "build_level": 3, "hermetic": True,
         "pinned": True, "builder_id": MARK, "last_artifact_sha256": "c" * 64, "last_verified_at": NOW,
         "last_outcome": "verified", "updated_at": NOW}
    )  # fmt: skip
    db["portal_evidence_packs"].insert_one(
        {"_id": PACK, "tenant": "acme", "pack_id": PACK, "sha256": "d" * 64, "item_count": 3, "ledger_index": 0,
         "built_at": NOW, "signature": {"payload": MARK}, "inclusion_proof": {"entry": {"subject": MARK}},
         "tree_head": {"log_id": MARK}}
    )  # fmt: skip
    db["portal_usage"].insert_one(
        {
            "_id": "u1",
            "tenant": "acme",
            "meter": "api_calls",
            "period": "2026-10",
            "quantity": 987654,
            "window_end": NOW,
        }
    )
    db["portal_audit"].insert_one(
        {"_id": "a1", "event_id": "a1", "subject": MARK, "subject_kind": "user", "tenant": "acme",
         "action": "overview:read", "resource": "/tenants/acme/overview", "allowed": True,
         "policy_bundle_sha256": "e" * 64, "decided_at": NOW}
    )  # fmt: skip
    assert db["portal_api_keys"].find_one({"_id": key_id})


def acme_markers(key_id: str) -> list[str]:
    return [MARK, "Acme Ltd", "ops@acme.example", "hooks.acme", key_id, "987654"]


@pytest.fixture
def sweep_portal(portal_settings, issuer):
    with TestClient(build_app(portal_settings)) as client:
        created = client.post(
            "/api/v1/tenants/acme/api-keys", json={"name": MARK}, headers=issuer.bearer("ana", {"acme": ["admin"]})
        )
        key_id = created.json()["key_id"]
        with MongoClient(MONGO, tz_aware=True) as mongo:
            seed_acme(mongo[portal_settings.mongo_db], key_id)
        yield client, key_id


def operations(app) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def credentials(client, issuer, tenant: str) -> dict[str, dict[str, str]]:
    """Every role of `tenant` as a user, and its engineer and viewer API keys."""
    admin = issuer.bearer(f"admin@{tenant}", {tenant: ["admin"]})
    found = {f"user {role}": issuer.bearer(f"{role}@{tenant}", {tenant: [role]}) for role in ROLES}
    for role in ("engineer", "viewer"):
        key = client.post(f"/api/v1/tenants/{tenant}/api-keys", json={"name": role, "role": role}, headers=admin)
        found[f"key {role}"] = {"authorization": f"Bearer {key.json()['key']}"}
    return found


def call(client, method: str, template: str, tenant: str, key_id: str, headers: dict[str, str]):
    path = template.replace("{tenant}", tenant).replace("{key_id}", key_id)
    path = path.replace("{pack_id}", PACK).replace("{file}", "signature")
    assert "{" not in path, f"the sweep does not know a parameter of {template}"
    body = BODIES.get((method, template))
    if method in {"post", "put", "patch"}:
        assert body is not None, f"add a valid body for {method.upper()} {template} to the sweep"
    return client.request(method.upper(), path, json=body, headers=headers)


def test_no_role_of_another_tenant_gets_anything_of_acmes_from_any_operation(sweep_portal, issuer, portal_settings):
    client, key_id = sweep_portal
    ops = operations(client.app)
    tenant_ops = [(m, p) for m, p in ops if "{tenant}" in p]
    assert len(tenant_ops) >= 11 and ("get", "/api/v1/me") in ops
    markers = acme_markers(key_id)
    calls = 0
    for other in ("beta", "gamma"):
        for who, headers in credentials(client, issuer, other).items():
            me = client.get("/api/v1/me", headers=headers)
            assert "acme" not in me.text, (other, who)
            for method, template in tenant_ops:
                # acme's paths and ids, then the caller's own paths with acme's ids
                for tenant in ("acme", other):
                    response = call(client, method, template, tenant, key_id, headers)
                    calls += 1
                    # On its own paths the caller's audit trail may echo the acme key id it sent itself.
                    expected = markers if tenant == "acme" else [m for m in markers if m != key_id]
                    leaked = [m for m in expected if m in response.text]
                    assert not leaked, (other, who, method, template, tenant, response.status_code, leaked)
                    if tenant == "acme":
                        assert response.status_code == 403, (other, who, method, template, response.status_code)
    assert calls >= 2 * 7 * len(tenant_ops) * 2

    # Acme's data is untouched: its key still works, and no write of theirs landed on acme.
    with MongoClient(MONGO) as mongo:
        db = mongo[portal_settings.mongo_db]
        assert db["portal_api_keys"].find_one({"_id": key_id})["revoked_at"] is None
        assert db["portal_api_keys"].count_documents({"tenant": "acme"}) == 1
        assert db["portal_idempotency"].count_documents({"_id": {"$regex": "^acme"}}) == 0


def test_the_sweep_is_not_vacuous_acmes_own_admin_sees_acmes_data(sweep_portal, issuer):
    client, key_id = sweep_portal
    admin = issuer.bearer("ana", {"acme": ["admin"]})
    seen = ""
    for method, template in operations(client.app):
        if method == "get" and "{tenant}" in template:
            response = call(client, method, template, "acme", key_id, admin)
            assert response.status_code == 200, (template, response.text[:200])
            seen += response.text
    for marker in acme_markers(key_id):
        assert marker in seen, marker


def test_no_web_page_or_form_of_acmes_works_for_another_tenants_roles(sweep_portal, issuer, portal_settings):
    client, key_id = sweep_portal
    markers = acme_markers(key_id)
    for role in ROLES:
        headers = issuer.bearer(f"{role}@beta", {"beta": [role]})
        for tab in ("overview", "slsa", "evidence", "finance", "audit", "members", "api-keys"):
            page = client.get(f"/ui/tenants/acme/{tab}", headers=headers)
            assert page.status_code == 403, (role, tab)
            assert not [m for m in markers if m in page.text], (role, tab)
            options = re.findall(r'<option value="([^"]+)"', page.text)
            assert options == ["beta"], (role, tab, options)
        client.cookies.set("tp_session", issuer.token(f"{role}@beta", {"beta": [role]}))
        origin = {"origin": "http://testserver"}
        create = client.post("/ui/tenants/acme/api-keys", data={"name": "x", "role": "viewer"}, headers=origin)
        revoke = client.post(f"/ui/tenants/acme/api-keys/{key_id}/revoke", headers=origin, follow_redirects=False)
        for answer in (create, revoke):
            assert answer.status_code == 403 and not [m for m in markers if m in answer.text], role
        client.cookies.clear()
    with MongoClient(MONGO) as mongo:
        keys = mongo[portal_settings.mongo_db]["portal_api_keys"]
        assert keys.count_documents({"tenant": "acme"}) == 1 and keys.find_one({"_id": key_id})["revoked_at"] is None
    own = client.get("/ui/tenants/acme/slsa", headers=issuer.bearer("ana", {"acme": ["admin"]}))
    assert own.status_code == 200 and MARK in own.text
