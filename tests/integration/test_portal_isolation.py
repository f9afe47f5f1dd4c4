"""Isolation sweep: every operation in the OpenAPI document, called by every role (users and API keys) of
two other tenants with acme's paths and ids, and with their own paths and acme's ids. Nothing of acme's
may come back, and nothing of acme's may change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from portal_api.app import build_app
from pymongo import MongoClient

from tests.integration.conftest import MONGO
from tests.integration.portal_support import ROLES

MARK = "ACME-PRIVATE"
SUBMISSION = "00000000-0000-4000-8000-000000000001"  # a submission id the sweep asks about in every tenant
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
    ("post", "/api/v1/tenants/{tenant}/runner-events"): {
        "kind": "queued",
        "job_id": "sweep-job",
        "pool": "hermetic-linux",
        "repo": "github.com/x/y",
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
    db["slsa_repos"].insert_one(
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
    path = path.replace("{pack_id}", PACK).replace("{file}", "signature").replace("{submission_id}", SUBMISSION)
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


VIEWS = {  # API path and UI tab of each view, and the action that reads it
    "overview:read": ("overview", "overview"),
    "slsa:read": ("slsa-map", "slsa"),
    "evidence:read": ("evidence-packs", "evidence"),
    "finance:read": ("finance", "finance"),
    "audit:read": ("audit", "audit"),
    "members:read": ("members", "members"),
    "apikey:read": ("api-keys", "api-keys"),
}


def marker(field: str) -> str:
    return f"F~{field}~"


def seed_guarded_acme(db, onboarding_db, bucket) -> None:
    """Acme's data with a distinct marker as the value of each string field the guard decides on."""
    onboarding_db["onboarding_tenants"].update_one({"_id": "acme"}, {"$set": {
        "display_name": marker("display_name"), "cohort": marker("cohort"), "plan": marker("plan"),
        "webhook_url": f"https://{marker('webhook_url')}.example/h", "contact_email": marker("contact_email"),
    }})  # fmt: skip
    db["slsa_repos"].insert_one(
        {"_id": "acme/g", "tenant": "acme", "repo": marker("repo"), "build_level": 2,
         "builder_id": marker("builder_id"),
         "last_artifact_sha256": marker("last_artifact_sha256"), "last_outcome": "rejected",
         "last_reasons": [marker("last_reasons")], "updated_at": NOW}
    )  # fmt: skip
    db["portal_trust_policies"].insert_one(
        {"_id": "acme", "tenant": "acme", "event_id": "e", "policy_id": marker("trust_policy.policy_id"),
         "keys": [{"key_id": marker("trust_policy.keys"), "algorithm": "ed25519",
                   "public_key_pem": "-----BEGIN PUBLIC KEY-----\nX\n-----END PUBLIC KEY-----\n"}],
         "builders": [{"id": marker("trust_policy.builders")}],
         "source_repositories": [marker("trust_policy.source_repositories")],
         "source_refs": [marker("trust_policy.source_refs")],
         "updated_by": marker("trust_policy.updated_by"), "updated_at": NOW}
    )  # fmt: skip
    db["portal_audit"].insert_one(
        {"_id": "g1", "event_id": "g1", "subject": marker("subject"), "subject_kind": "user", "tenant": "acme",
         "action": marker("action"), "resource": marker("resource"), "allowed": False,
         "policy_bundle_sha256": "e" * 64, "decided_at": NOW + timedelta(days=1)}  # newest: on the first page
    )  # fmt: skip
    db["portal_users"].insert_one(
        {"_id": "m1", "id": "m1", "name": marker("name"), "tenant_roles": {"acme": ["viewer"]}}
    )

    # The pack's archive as the evidence service builds it, from an onboarding fact carrying every field.
    from evidence.items import stored
    from evidence.pack import build
    from schemas.tenant import TenantProvisioned, TenantProvisionedData

    fact = TenantProvisioned.create(
        data=TenantProvisionedData(
            slug="acme", display_name=marker("display_name"), contact_email=marker("contact_email"),
            plan=marker("plan"), cohort="wave-1", webhook_url=f"https://{marker('webhook_url')}.example/h",
            request_id="req-acme", requested_at=NOW, provisioned_at=NOW,
        ),
        source="/services/onboarding", tenantid="acme", time=NOW,
    )  # fmt: skip
    item = stored(fact.to_json())
    assert item is not None
    bucket.upload_from_stream_with_id(PACK, "evidence.tar", build("acme", "2026-10", [item.item()]).archive)


def guarded_readers(client, issuer) -> dict[str, tuple[Any, dict[str, str]]]:
    """Every role that reads acme (users, API keys, platform staff): the subject and its credentials."""
    from portal_api.authorization import Subject

    readers: dict[str, tuple[object, dict[str, str]]] = {}
    for role in ROLES:
        readers[f"user {role}"] = (Subject(f"g-{role}", tenant_roles={"acme": (role,)}),
                                   issuer.bearer(f"g-{role}", {"acme": [role]}))  # fmt: skip
    for role in ("platform-admin", "executive"):
        readers[f"staff {role}"] = (Subject(f"g-{role}", platform_roles=(role,)),
                                    issuer.bearer(f"g-{role}", {}, [role]))  # fmt: skip
    admin = issuer.bearer("g-admin", {"acme": ["admin"]})
    for role in ("engineer", "viewer"):
        key = client.post("/api/v1/tenants/acme/api-keys", json={"name": f"g-{role}", "role": role}, headers=admin)
        token = key.json()["key"]
        subject = Subject(f"apikey:{key.json()['key_id']}", kind="api_key", tenant_roles={"acme": (role,)})
        readers[f"key {role}"] = (subject, {"authorization": f"Bearer {token}"})
    return readers


def test_every_field_the_guard_withholds_is_absent_from_every_api_answer_page_and_download(
    sweep_portal, issuer, portal_settings
):
    from gridfs import GridFSBucket
    from portal_api.authorization import policy_input
    from schemas.evidence import EVIDENCE_BUCKET

    client, _ = sweep_portal
    engine = client.app.state.engine
    with MongoClient(MONGO, tz_aware=True) as mongo:
        seed_guarded_acme(mongo[portal_settings.mongo_db], mongo[portal_settings.onboarding_db],
                          GridFSBucket(mongo[portal_settings.evidence_db], bucket_name=EVIDENCE_BUCKET))  # fmt: skip
    checked = withheld_seen = 0
    for who, (subject, headers) in guarded_readers(client, issuer).items():
        for action, (api, tab) in VIEWS.items():
            verdict = engine.decision(policy_input(subject, tenant="acme", action=action))
            answer = client.get(f"/api/v1/tenants/acme/{api}", headers=headers)
            page = client.get(f"/ui/tenants/acme/{tab}", headers=headers)
            assert answer.status_code == (200 if verdict.allowed else 403), (who, action, answer.text[:200])
            if not verdict.allowed:
                continue
            assert page.status_code == 200, (who, tab)
            for field in verdict.withheld:
                withheld_seen += 1
                assert marker(field) not in answer.text, (who, action, field)
                assert marker(field) not in page.text, (who, tab, field)
            for field in verdict.shown:
                assert marker(field) in answer.text or field not in MARKED.get(action, ()), (who, action, field)
            checked += 1
        download = engine.decision(policy_input(subject, tenant="acme", action="evidence:download"))
        overview = engine.decision(policy_input(subject, tenant="acme", action="overview:read"))
        archive = client.get(f"/api/v1/tenants/acme/evidence-packs/{PACK}/files/archive", headers=headers)
        assert archive.status_code == (200 if "archive" in download.shown else 403), (who, archive.status_code)
        if archive.status_code == 200:
            for field in overview.withheld:
                assert marker(field).encode() not in archive.content, (who, field)
            assert marker("display_name").encode() in archive.content  # the archive is the real one
    assert checked >= 20 and withheld_seen >= 8, (checked, withheld_seen)


MARKED = {  # the fields seed_guarded_acme marks, by view: shown ones must appear (the sweep is not vacuous)
    "overview:read": {"display_name", "cohort", "plan", "contact_email", "webhook_url"},
    "slsa:read": {"repo", "builder_id", "last_artifact_sha256", "last_reasons", "trust_policy.policy_id",
                  "trust_policy.keys", "trust_policy.builders", "trust_policy.source_repositories",
                  "trust_policy.source_refs", "trust_policy.updated_by"},
    "audit:read": {"subject", "action", "resource"},
    "members:read": {"name"},
}  # fmt: skip


def seed_platform(db) -> None:
    """A board pack (built, its PDF stored), a month's revenue report, a cohort and a rejection, each carrying MARK."""
    from gridfs import GridFSBucket

    sha = "f" * 64
    db["portal_board_packs"].insert_one(
        {"_id": "board-req-1", "request_id": "board-req-1", "period": "2026-10", "state": "built", "at": NOW,
         "checks": [{"name": "links", "ok": True, "detail": MARK}], "file_name": "board-2026-10.pdf",
         "sha256": sha, "size": 20, "complete": True, "ledger_index": 3, "inclusion_proof": {"m": MARK},
         "tree_head": {"m": MARK}}
    )  # fmt: skip
    GridFSBucket(db, bucket_name="board_packs").upload_from_stream_with_id(sha, "board-2026-10.pdf", MARK.encode())
    # A cohort tenant and a repository whose failure reasons carry MARK: shown on the Cohorts and SLSA pages.
    db["onboarding_tenants"].insert_one(
        {"_id": "zeta-mark", "slug": "zeta-mark", "cohort": "wave-mark", "state": "verification_failed",
         "request_id": "req-zeta", "requested_at": NOW, "attempts": 5, "failure_reason": MARK}
    )  # fmt: skip
    db["slsa_repos"].insert_one(
        {"_id": "zeta-mark/app", "tenant": "zeta-mark", "repo": "github.com/zeta/app", "build_level": 0,
         "last_outcome": "rejected", "last_reasons": [MARK], "updated_at": NOW}
    )  # fmt: skip
    db["board_revenue"].insert_one(
        {"_id": "2026-10", "period": "2026-10", "as_of": NOW, "made_at": NOW, "invoices_for_period": 1, "mrr": [],
         "invoiced": [], "collected": [], "outstanding": [], "invoices": [], "issues": [], "sources": {},
         "tenants": [{"tenant": MARK, "plan": "standard", "currency": "EUR", "mrr_minor": 987654,
                      "previous_mrr_minor": 0, "movement": "new", "invoiced_minor": 0, "collected_minor": 0,
                      "outstanding_minor": 0}]}
    )  # fmt: skip


def platform_calls(client) -> list[tuple[str, str]]:
    """Every platform operation of the API and every platform page and download, as concrete paths."""
    paths = [
        (m, p.replace("{pack_id}", "board-req-1"))
        for m, p in operations(client.app)
        if p.startswith("/api/v1/platform/")
    ]
    expanded = [(m, p.replace("{file}", f)) for m, p in paths for f in ("pdf", "proof", "tree-head", "completeness")]
    pages = [
        "/ui/platform/board",
        "/ui/platform/revenue",
        "/ui/platform/revenue?period=2026-10",
        "/ui/platform/cohorts",
        "/ui/platform/cohorts?cohort=wave-mark",
        "/ui/platform/slsa-adoption",
        "/ui/platform/evidence-slo",
    ]
    files = [f"/ui/platform/board-packs/board-req-1/files/{f}" for f in ("pdf", "proof", "tree-head", "completeness")]
    return sorted(set(expanded)) + [("get", p) for p in pages + files]


def test_no_tenant_role_or_key_reaches_a_platform_view_or_download(sweep_portal, issuer, portal_settings):
    client, _ = sweep_portal
    with MongoClient(MONGO, tz_aware=True) as mongo:
        seed_platform(mongo[portal_settings.mongo_db])
    calls = platform_calls(client)
    assert len(calls) >= 5 + 4 + 7 + 4  # five reads and four downloads in the API; seven pages, four downloads
    for tenant in ("acme", "beta"):
        for who, headers in credentials(client, issuer, tenant).items():
            for method, path in calls:
                response = client.request(method.upper(), path, headers=headers)
                assert response.status_code == 403, (tenant, who, path, response.status_code)
                assert MARK not in response.text and "987654" not in response.text, (tenant, who, path)
    # Not vacuous: the platform's staff get each of them.
    for role in ("executive", "platform-admin"):
        staff = issuer.bearer(f"staff-{role}", {}, [role])
        seen = ""
        for method, path in calls:
            response = client.request(method.upper(), path, headers=staff)
            assert response.status_code == 200, (role, path, response.text[:200])
            seen += response.text
        assert MARK in seen and "987654" in seen and "€9,876.54" in seen
