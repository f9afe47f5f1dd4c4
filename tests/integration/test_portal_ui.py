"""The web UI's forms on the real stack: API keys created and revoked by admins, CSRF refused, roles enforced."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from portal_api.app import build_app
from pymongo import MongoClient

from tests.integration.conftest import MONGO

ORIGIN = {"origin": "http://testserver"}


def signed_in(client: TestClient, issuer, user: str, roles: dict) -> TestClient:
    client.cookies.set("tp_session", issuer.token(user, roles))
    return client


def test_an_admin_creates_a_key_in_the_ui_sees_it_once_and_revokes_it(portal_settings, issuer):
    with TestClient(build_app(portal_settings)) as client:
        signed_in(client, issuer, "ana", {"acme": ["admin"]})
        page = client.get("/ui/tenants/acme/api-keys")
        assert page.status_code == 200 and 'for="key-name"' in page.text and 'for="key-role"' in page.text

        created = client.post(
            "/ui/tenants/acme/api-keys", data={"name": "release CI", "role": "engineer"}, headers=ORIGIN
        )
        assert created.status_code == 200
        token = re.search(r'value="(tpk_[^"]+)"', created.text).group(1)
        assert "shown only this once" in created.text
        listed = client.get("/ui/tenants/acme/api-keys")
        assert "release CI" in listed.text and token not in listed.text  # never shown again

        machine = {"authorization": f"Bearer {token}"}
        assert client.get("/api/v1/tenants/acme/overview", headers=machine).status_code == 200
        key_id = token.split("_")[1]
        revoked = client.post(f"/ui/tenants/acme/api-keys/{key_id}/revoke", headers=ORIGIN, follow_redirects=False)
        assert revoked.status_code == 303 and revoked.headers["location"] == "/ui/tenants/acme/api-keys"
        assert "revoked" in client.get("/ui/tenants/acme/api-keys").text
        client.cookies.clear()
        assert client.get("/api/v1/tenants/acme/overview", headers=machine).status_code == 401


def test_cross_site_form_posts_are_refused(portal_settings, issuer):
    with TestClient(build_app(portal_settings)) as client:
        signed_in(client, issuer, "ana", {"acme": ["admin"]})
        for headers in ({}, {"origin": "https://evil.example"}, {"referer": "https://evil.example/x"}):
            answer = client.post("/ui/tenants/acme/api-keys", data={"name": "x", "role": "engineer"}, headers=headers)
            assert answer.status_code == 403 and "not sent from the portal" in answer.text
        with MongoClient(MONGO) as mongo:
            assert mongo[portal_settings.mongo_db]["portal_api_keys"].count_documents({}) == 0


def test_only_admins_see_and_use_the_key_and_member_tabs(portal_settings, issuer):
    with TestClient(build_app(portal_settings)) as client:
        for role in ("engineer", "auditor", "finance", "viewer"):
            signed_in(client, issuer, f"{role}-user", {"acme": [role]})
            overview = client.get("/ui/tenants/acme/overview")
            assert "/ui/tenants/acme/api-keys" not in overview.text and "/ui/tenants/acme/members" not in overview.text
            assert client.get("/ui/tenants/acme/api-keys").status_code == 403
            assert client.get("/ui/tenants/acme/members").status_code == 403
            refused = client.post("/ui/tenants/acme/api-keys", data={"name": "x", "role": "viewer"}, headers=ORIGIN)
            assert refused.status_code == 403, role
        signed_in(client, issuer, "bo@beta", {"beta": ["admin"]})  # another tenant's admin
        assert (
            client.post("/ui/tenants/acme/api-keys", data={"name": "x", "role": "viewer"}, headers=ORIGIN).status_code
            == 403
        )
        signed_in(client, issuer, "ana", {"acme": ["admin"]})
        members = client.get("/ui/tenants/acme/members")
        assert members.status_code == 200 and "ana" in members.text and "bo@beta" not in members.text
        with MongoClient(MONGO) as mongo:
            assert mongo[portal_settings.mongo_db]["portal_api_keys"].count_documents({}) == 0
