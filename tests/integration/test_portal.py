"""The portal API on the real Kafka and FerretDB: authentication, tenant isolation, the guard, the audit trail."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from portal_api.app import build_app
from pymongo import MongoClient

from schemas import topics
from tests.integration.conftest import MONGO
from tests.integration.portal_support import Issuer, audit_records
from tests.integration.support import poll, read_topic, wait_for
from tests.integration.test_portal_isolation import BODIES


def test_a_member_reads_their_tenant_and_the_guard_withholds_fields_for_an_auditor(portal, issuer, portal_settings):
    viewer = portal.get("/api/v1/tenants/acme/overview", headers=issuer.bearer("vic", {"acme": ["viewer"]}))
    assert viewer.status_code == 200
    assert viewer.json()["onboarding"]["contact_email"] == "ops@acme.example"

    auditor = portal.get("/api/v1/tenants/acme/overview", headers=issuer.bearer("ana", {"acme": ["auditor"]}))
    assert auditor.status_code == 200
    body = auditor.json()
    assert set(body["onboarding"]) == {"display_name", "state", "cohort"}
    assert "ops@acme.example" not in auditor.text and "hooks.acme" not in auditor.text
    assert set(body["withheld"]) == {"contact_email", "plan", "webhook_url"}
    for response in (viewer, auditor):
        assert "SEALED" not in response.text and "outbox" not in response.text


def test_no_role_of_one_tenant_reads_another(portal, issuer):
    for role in ("admin", "engineer", "auditor", "finance", "viewer"):
        response = portal.get("/api/v1/tenants/beta/overview", headers=issuer.bearer("eve", {"acme": [role]}))
        assert response.status_code == 403, role
        assert "beta" not in response.text.replace("/tenants/beta", "") and "Beta Ltd" not in response.text
    missing = portal.get("/api/v1/tenants/no-such-tenant/overview", headers=issuer.bearer("eve", {"acme": ["admin"]}))
    assert missing.status_code == 403  # the same answer: no probing for which tenants exist


def test_a_reserved_or_malformed_slug_is_never_a_path_tenant(portal, issuer, portal_settings):
    staff = issuer.bearer("root", {}, ["platform-admin"])
    for tenant in ("platform", "admin", "a--b", "x" * 41):
        for path in ("overview", "slsa-map", "audit"):
            response = portal.get(f"/api/v1/tenants/{tenant}/{path}", headers=staff)
            assert response.status_code == 422, (tenant, path, response.text)
        policy = portal.post(f"/api/v1/tenants/{tenant}/trust-policy", json={}, headers=staff)
        assert policy.status_code == 422
    assert portal.get("/ui/tenants/platform/overview", headers=staff).status_code == 404
    assert not audit_records(portal_settings)  # refused before any decision: nothing on the trail


def test_credentials_are_required_and_checked(portal, issuer):
    assert portal.get("/api/v1/me").status_code == 401
    assert portal.get("/api/v1/me").headers["www-authenticate"] == "Bearer"
    other = Issuer()
    assert portal.get("/api/v1/me", headers=other.bearer("mallory", {"acme": ["admin"]})).status_code == 401
    expired = issuer.bearer("vic", {"acme": ["viewer"]}, ttl=timedelta(seconds=-1))
    assert portal.get("/api/v1/me", headers=expired).status_code == 401
    wrong_audience = issuer.bearer("vic", {"acme": ["viewer"]}, aud="someone-else")
    assert portal.get("/api/v1/me", headers=wrong_audience).status_code == 401


def test_the_tenant_switcher_offers_exactly_the_users_tenants(portal, issuer):
    me = portal.get("/api/v1/me", headers=issuer.bearer("multi", {"beta": ["viewer"], "acme": ["finance"]}))
    assert me.json() == {"subject": "multi", "tenants": ["acme", "beta"], "platform_roles": []}


def test_roles_come_from_the_portals_membership_not_from_token_claims(portal, issuer):
    generous = issuer.bearer(
        "vic", {"acme": ["viewer"]}, claims={"tenant_roles": {"beta": ["admin"]}, "platform_roles": ["platform-admin"]}
    )
    assert portal.get("/api/v1/me", headers=generous).json()["tenants"] == ["acme"]
    assert portal.get("/api/v1/tenants/beta/overview", headers=generous).status_code == 403
    issuer.users.delete_one({"_id": "vic"})  # membership removed: the same valid token grants nothing
    assert portal.get("/api/v1/tenants/acme/overview", headers=generous).status_code == 403
    assert portal.get("/api/v1/me", headers=generous).json()["tenants"] == []


def test_every_decision_lands_on_the_audit_trail(portal, issuer, portal_settings):
    portal.get("/api/v1/tenants/acme/overview", headers=issuer.bearer("ana", {"acme": ["auditor"]}))
    portal.get("/api/v1/tenants/beta/overview", headers=issuer.bearer("ana", {"acme": ["auditor"]}))
    # Keyed by tenant, so the two records may sit on different partitions: order by decision time.
    records = sorted(audit_records(portal_settings), key=lambda r: datetime.fromisoformat(r["decided_at"]))
    assert [(r["subject"], r["tenant"], r["allowed"]) for r in records] == [
        ("ana", "acme", True),
        ("ana", "beta", False),
    ]
    engine = portal.app.state.engine
    assert all(r["policy_bundle_sha256"] == engine.bundle.sha256 for r in records)
    assert records[0]["fields_withheld"] == ["contact_email", "plan", "webhook_url"]


def test_a_database_outage_answers_503_with_retry_after_within_a_second(issuer, portal_settings):
    down = portal_settings.model_copy(update={"mongo_uri": "mongodb://127.0.0.1:1/"})
    with TestClient(build_app(down)) as client:
        started = time.monotonic()
        response = client.get("/api/v1/tenants/acme/overview", headers=issuer.bearer("vic", {"acme": ["viewer"]}))
        elapsed = time.monotonic() - started
        ready = client.get("/readyz")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["detail"].endswith("try again shortly") and "Traceback" not in response.text
    assert elapsed < 1.5
    assert ready.status_code == 503 and ready.json()["checks"]["mongodb"] == "unreachable"
    assert client.get("/healthz").status_code == 200


def test_api_keys_are_created_by_admins_shown_once_used_by_machines_and_revoked(portal, issuer, portal_settings):
    admin = issuer.bearer("ana", {"acme": ["admin"]})
    created = portal.post("/api/v1/tenants/acme/api-keys", json={"name": "release CI"}, headers=admin)
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("tpk_") and key["role"] == "engineer"

    listed = portal.get("/api/v1/tenants/acme/api-keys", headers=admin).json()["api_keys"]
    assert [k["key_id"] for k in listed] == [key["key_id"]]
    assert key["key"] not in json.dumps(listed) and "secret_sha256" not in json.dumps(listed)
    with MongoClient(MONGO) as client:
        stored = client[portal_settings.mongo_db]["portal_api_keys"].find_one({"_id": key["key_id"]})
    secret = key["key"].split("_", 2)[2]  # tpk_<id>_<secret>; the secret itself may contain "_"
    assert len(secret) == 43 and secret not in json.dumps(stored, default=str)

    machine = {"authorization": f"Bearer {key['key']}"}
    assert portal.get("/api/v1/tenants/acme/overview", headers=machine).status_code == 200
    assert portal.get("/api/v1/tenants/beta/overview", headers=machine).status_code == 403
    assert portal.get("/api/v1/tenants/acme/api-keys", headers=machine).status_code == 403  # keys manage no keys

    other_admin = issuer.bearer("bob", {"beta": ["admin"]})
    # the key is owned by acme: the decision names its owner, so beta's admin is refused under beta's own path
    assert portal.delete(f"/api/v1/tenants/beta/api-keys/{key['key_id']}", headers=other_admin).status_code == 403
    assert portal.delete(f"/api/v1/tenants/acme/api-keys/{key['key_id']}", headers=other_admin).status_code == 403
    assert portal.delete(f"/api/v1/tenants/acme/api-keys/{key['key_id']}", headers=admin).status_code == 204
    assert portal.get("/api/v1/tenants/acme/overview", headers=machine).status_code == 401


def test_only_admins_create_api_keys(portal, issuer):
    for role in ("engineer", "auditor", "finance", "viewer"):
        response = portal.post(
            "/api/v1/tenants/acme/api-keys", json={"name": "x"}, headers=issuer.bearer("u", {"acme": [role]})
        )
        assert response.status_code == 403, role
    bad = portal.post(
        "/api/v1/tenants/acme/api-keys",
        json={"name": "x", "role": "admin"},
        headers=issuer.bearer("ana", {"acme": ["admin"]}),
    )
    assert bad.status_code == 422  # machines never get the admin role


def test_the_policy_bundle_in_force_is_published_once_per_hash(issuer, portal_settings):
    for _ in range(2):  # a restart publishes the same fact again, with the same id
        with TestClient(build_app(portal_settings)) as client:
            sha = client.app.state.engine.bundle.sha256  # type: ignore[attr-defined]  # the FastAPI app
    records = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.POLICY_EVENTS))]
    assert {r["id"] for r in records} == {records[0]["id"]} and len(records) == 2
    assert records[0]["type"] == "io.trustportal.policy.bundle-published.v1"
    assert records[0]["data"]["sha256"] == sha and records[0]["data"]["modules"] == [
        "authz.rego",
        "decision.rego",
        "presentation.rego",
    ]


def test_rate_limits_answer_429_with_retry_after_per_subject_and_per_tenant(issuer, portal_settings):
    limited = portal_settings.model_copy(update={"rate_limit_subject_per_minute": 3, "rate_limit_tenant_per_minute": 5})
    frozen = datetime.now(UTC).replace(second=30)  # one window for the whole test, wherever the clock is
    with TestClient(build_app(limited, clock=lambda: frozen)) as client:
        vic = issuer.bearer("vic", {"acme": ["viewer"], "beta": ["viewer"]})
        codes = [client.get("/api/v1/tenants/acme/overview", headers=vic).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        blocked = client.get("/api/v1/tenants/acme/overview", headers=vic)
        assert 1 <= int(blocked.headers["retry-after"]) <= 60 and "rate limit" in blocked.json()["detail"]
        # Another user of the same tenant still gets through, until the tenant's own limit.
        others = [
            client.get("/api/v1/tenants/acme/overview", headers=issuer.bearer(f"u{i}", {"acme": ["viewer"]}))
            for i in range(3)
        ]
        assert [r.status_code for r in others] == [200, 200, 429]
        assert (
            client.get("/api/v1/tenants/beta/overview", headers=issuer.bearer("w", {"beta": ["viewer"]})).status_code
            == 200
        )


def test_the_dev_sign_in_exists_only_in_dev_mode(portal, portal_settings):
    assert portal.get("/dev/sign-in").status_code == 404
    assert portal.post("/dev/token", data={"user": "ana@acme-robotics"}).status_code == 404

    dev = portal_settings.model_copy(update={"dev_mode": True, "dev_users_file": "examples/portal-users.json"})
    with TestClient(build_app(dev)) as client:
        page = client.get("/dev/sign-in")
        assert page.status_code == 200 and '<label for="user-1">Ana Admin' in page.text
        token = client.post("/dev/token", data={"user": "cy@cobalt-sys"}).json()["access_token"]
        me = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).json()
        assert me == {"subject": "cy@cobalt-sys", "tenants": ["cobalt-sys", "delta-forge"], "platform_roles": []}
        assert client.post("/dev/token", data={"user": "nobody"}).status_code == 404
        assert client.get("/api/v1/me", headers=Issuer().bearer("x", {"acme": ["viewer"]})).status_code == 401


def test_the_audit_tab_lists_a_tenants_decisions_to_its_auditors_and_admins_only(portal, issuer):
    auditor, admin = issuer.bearer("aud", {"acme": ["auditor"]}), issuer.bearer("ana", {"acme": ["admin"]})
    for _ in range(3):
        portal.get("/api/v1/tenants/acme/overview", headers=issuer.bearer("vic", {"acme": ["viewer"]}))
    portal.get("/api/v1/tenants/beta/overview", headers=issuer.bearer("bea", {"beta": ["viewer"]}))

    def vic_entries() -> list | None:
        entries = list(portal.get("/api/v1/tenants/acme/audit", headers=auditor).json()["entries"])
        return entries if sum(1 for e in entries if e["subject"] == "vic") == 3 else None

    entries = wait_for(vic_entries, timeout=15, what="vic's three decisions in acme's Audit tab")
    assert {e["tenant"] for e in entries} == {"acme"}  # beta's decisions never show here
    stamps = [e["decided_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)

    page = portal.get("/api/v1/tenants/acme/audit", params={"limit": 2}, headers=admin).json()
    assert len(page["entries"]) == 2 and page["next_before"]
    rest = portal.get("/api/v1/tenants/acme/audit", params={"before": page["next_before"]}, headers=admin).json()
    assert {e["event_id"] for e in rest["entries"]}.isdisjoint({e["event_id"] for e in page["entries"]})

    for role in ("engineer", "finance", "viewer"):
        assert portal.get("/api/v1/tenants/acme/audit", headers=issuer.bearer("x", {"acme": [role]})).status_code == 403
    assert (
        portal.get("/api/v1/tenants/acme/audit", headers=issuer.bearer("x", {"beta": ["auditor"]})).status_code == 403
    )


def test_an_evidence_pack_request_is_queued_once_per_idempotency_key(portal, issuer, portal_settings):
    eng = issuer.bearer("eli", {"acme": ["engineer"]})
    first = portal.post(
        "/api/v1/tenants/acme/evidence-packs",
        json={"period": "2026-10"},
        headers={**eng, "idempotency-key": "release-42"},
    )
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    again = portal.post(
        "/api/v1/tenants/acme/evidence-packs",
        json={"period": "2026-10"},
        headers={**eng, "idempotency-key": "release-42"},
    )
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other_body = portal.post(
        "/api/v1/tenants/acme/evidence-packs",
        json={"period": "2026-09"},
        headers={**eng, "idempotency-key": "release-42"},
    )
    assert other_body.status_code == 422 and "Idempotency-Key" in other_body.json()["detail"]
    no_key = [
        portal.post("/api/v1/tenants/acme/evidence-packs", json={"period": "2026-10"}, headers=eng) for _ in range(2)
    ]
    assert no_key[0].json()["pack_request_id"] != no_key[1].json()["pack_request_id"]

    records = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.EVIDENCE_REQUESTS))]
    assert len(records) == 3 and {r["tenantid"] for r in records} == {"acme"}
    assert first.json()["pack_request_id"] in {r["id"] for r in records}
    assert records[0]["type"] == "io.trustportal.evidence.pack-requested.v1"

    assert (
        portal.post("/api/v1/tenants/acme/evidence-packs", json={"period": "2026-13"}, headers=eng).status_code == 422
    )
    for role in ("finance", "viewer"):
        denied = portal.post(
            "/api/v1/tenants/acme/evidence-packs",
            json={"period": "2026-10"},
            headers=issuer.bearer("x", {"acme": [role]}),
        )
        assert denied.status_code == 403, role
    stranger = issuer.bearer("bo", {"beta": ["admin"]})
    assert (
        portal.post("/api/v1/tenants/acme/evidence-packs", json={"period": "2026-10"}, headers=stranger).status_code
        == 403
    )


def test_a_kafka_outage_answers_503_within_a_second_and_readyz_names_it(issuer, portal_settings):
    down = portal_settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
    with TestClient(build_app(down)) as client:
        viewer = issuer.bearer("vic", {"acme": ["viewer"]})
        started = time.monotonic()
        read = client.get("/api/v1/tenants/acme/overview", headers=viewer)
        write = client.post(
            "/api/v1/tenants/acme/evidence-packs",
            json={"period": "2026-10"},
            headers=issuer.bearer("ana", {"acme": ["admin"]}),
        )
        elapsed = time.monotonic() - started
        ready = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    # No audit record, no access: the read is refused too rather than served unaudited.
    for response in (read, write):
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert "Acme Ltd" not in response.text and "Traceback" not in response.text
    assert read.json()["detail"] == "the audit trail is unavailable; try again shortly"
    assert elapsed < 2.5  # two requests, each bounded by one second
    assert ready.status_code == 503 and ready.json()["checks"]["kafka"] != "ok"


def test_the_api_and_projector_roles_split_requests_from_read_models(issuer, portal_settings):
    api = portal_settings.model_copy(update={"role": "api"})
    projector = portal_settings.model_copy(update={"role": "projector"})
    with TestClient(build_app(projector)) as folds, TestClient(build_app(api)) as serves:
        assert folds.get("/api/v1/me").status_code == 404 and folds.get("/ui").status_code == 404
        assert folds.get("/healthz").status_code == 200 and folds.get("/readyz").status_code == 200
        viewer = issuer.bearer("vic", {"acme": ["viewer"]})
        assert serves.get("/api/v1/tenants/acme/overview", headers=viewer).status_code == 200
        with MongoClient(MONGO) as mongo:
            audit = mongo[portal_settings.mongo_db]["portal_audit"]
            poll(lambda: audit.count_documents({"subject": "vic"}), timeout=15)
            assert audit.count_documents({"subject": "vic"}) == 1  # folded by the projector process


def test_a_poison_record_in_an_audit_batch_goes_to_the_dlq_alone(portal, issuer, portal_settings):
    from aiokafka import AIOKafkaProducer

    async def poison() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=portal_settings.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                portal_settings.topic(topics.AUDIT_EVENTS), b'{"not": "an event"}', key=b"acme"
            )
        finally:
            await producer.stop()

    viewer = issuer.bearer("vic", {"acme": ["viewer"]})
    portal.get("/api/v1/tenants/acme/overview", headers=viewer)
    asyncio.run(poison())
    portal.get("/api/v1/tenants/acme/overview", headers=viewer)
    with MongoClient(MONGO) as mongo:
        audit = mongo[portal_settings.mongo_db]["portal_audit"]
        poll(lambda: audit.count_documents({"subject": "vic"}) >= 2, timeout=15)
        assert audit.count_documents({"subject": "vic"}) == 2
    dead = asyncio.run(read_topic(portal_settings, topics.dlq(topics.AUDIT_EVENTS)))
    assert [r.value for r in dead] == [b'{"not": "an event"}']
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["x-dlq-error-type"] == "ValidationError" and headers["x-dlq-source-topic"].endswith(
        "audit.events.v1"
    )


def test_no_one_mints_a_key_that_does_more_than_they_may(portal, issuer, portal_settings):
    """The escalation path: a platform-admin may not submit provenance, so may mint no key that can."""
    root = issuer.bearer("root", {}, ["platform-admin"])
    for role in ("engineer", "viewer"):
        minted = portal.post("/api/v1/tenants/acme/api-keys", json={"name": "side door", "role": role}, headers=root)
        assert minted.status_code == 403, (role, minted.text)
    policy = BODIES[("post", "/api/v1/tenants/{tenant}/trust-policy")]
    assert portal.post("/api/v1/tenants/acme/trust-policy", json=policy, headers=root).status_code == 403
    submission = {"repo": "github.com/acme/app", "artifact_name": "app", "artifact_sha256": "a" * 64,
                  "envelope": {"payloadType": "t", "payload": "cA==", "signatures": [{"sig": "cw=="}]}}  # fmt: skip
    assert portal.post("/api/v1/tenants/acme/provenance", json=submission, headers=root).status_code == 403
    page = portal.get("/ui/tenants/acme/api-keys", headers=root)
    assert page.status_code == 200 and 'action="/ui/tenants/acme/api-keys"' not in page.text  # no create form
    with MongoClient(MONGO) as client:
        assert client[portal_settings.mongo_db]["portal_api_keys"].count_documents({"tenant": "acme"}) == 0

    admin = issuer.bearer("ana", {"acme": ["admin"]})
    key = portal.post("/api/v1/tenants/acme/api-keys", json={"name": "ci", "role": "engineer"}, headers=admin).json()
    assert portal.get("/api/v1/tenants/acme/api-keys", headers=root).status_code == 200  # staff list and revoke
    assert portal.delete(f"/api/v1/tenants/acme/api-keys/{key['key_id']}", headers=root).status_code == 204
    machine = {"authorization": f"Bearer {key['key']}"}
    assert portal.get("/api/v1/tenants/acme/overview", headers=machine).status_code == 401  # revoked
    assert portal.delete("/api/v1/tenants/acme/api-keys/not-a-key-id", headers=admin).status_code == 422


def test_strangers_cannot_write_into_a_tenants_audit_trail(issuer, portal_settings):
    """Refusals of subjects with no role in acme go to the platform's security trail, limited per subject."""
    minute = datetime.now(UTC).replace(second=1, microsecond=0)  # one rate-limit window throughout
    with TestClient(build_app(portal_settings, clock=lambda: minute)) as portal:
        strangers_are_filed_apart(portal, issuer, portal_settings)


def strangers_are_filed_apart(portal, issuer, portal_settings) -> None:
    limit = portal_settings.rate_limit_refusals_per_minute
    stranger = issuer.bearer("mallory", {"beta": ["admin"]})
    answers = [portal.get("/api/v1/tenants/acme/overview", headers=stranger).status_code for _ in range(limit + 10)]
    assert answers == [403] * limit + [429] * 10  # past the limit: 429, and nothing more on file
    assert (
        portal.get("/api/v1/tenants/beta/overview", headers=stranger).status_code == 200
    )  # its own tenant still works
    member = issuer.bearer("vic", {"acme": ["viewer"]})
    assert portal.get("/api/v1/tenants/acme/overview", headers=member).status_code == 200

    records = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.AUDIT_EVENTS, idle_s=0.5))]
    strangers = [r for r in records if r["data"]["subject"] == "mallory" and r["data"]["tenant"] == "acme"]
    assert len(strangers) == limit and {r["tenantid"] for r in strangers} == {"platform"}

    auditor = issuer.bearer("aud", {"acme": ["auditor"]})

    def audit_page() -> list:
        return list(portal.get("/api/v1/tenants/acme/audit", params={"limit": 200}, headers=auditor).json()["entries"])

    entries = wait_for(
        lambda: (page := audit_page()) and any(e["subject"] == "vic" for e in page) and page,
        timeout=15,
        what="vic's decision in acme's Audit tab",
    )
    assert any(e["subject"] == "vic" for e in entries)  # the projection has caught up past mallory's records
    assert not [e for e in entries if e["subject"] == "mallory"]
    with MongoClient(MONGO) as client:
        trail = client[portal_settings.mongo_db]["portal_audit"]
        query = {"subject": "mallory", "tenant": "platform", "asked_tenant": "acme"}
        wait_for(lambda: trail.count_documents(query) == limit, timeout=15, what="the platform's security trail")
        assert trail.count_documents({"subject": "mallory", "tenant": "acme"}) == 0


def test_every_answer_carries_the_security_headers_and_metrics_stay_internal(portal, issuer, portal_settings):
    viewer = issuer.bearer("vic", {"acme": ["viewer"]})
    for path in ("/ui", "/ui/tenants/acme/overview", "/api/v1/tenants/acme/overview", "/healthz", "/no-such-page"):
        headers = portal.get(path, headers=viewer).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp, path
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in headers  # plain http here (cookie_secure off)
    page = portal.get("/ui/tenants/acme/overview", headers=viewer).text
    assert "<script" not in page and " style=" not in page  # nothing inline for the CSP to allow

    assert portal.get("/metrics").status_code == 404  # the public port never serves metrics
    internal = f"http://testserver:{portal_settings.metrics_port}"
    scraped = portal.get(f"{internal}/metrics")
    assert scraped.status_code == 200 and "# HELP" in scraped.text
    assert portal.get(f"{internal}/api/v1/me", headers=viewer).status_code == 404  # the internal port: nothing else

    assert portal.get("/docs").status_code == 404  # Swagger UI in dev mode only
    assert portal.get("/openapi.json").status_code == 200  # the API's document is public: it holds no data


def test_sign_out_takes_the_same_origin_check_the_other_forms_take(portal, issuer):
    portal.cookies.set("tp_session", issuer.token("vic", {"acme": ["viewer"]}))
    cross = portal.post("/ui/sign-out", headers={"origin": "https://evil.example"}, follow_redirects=False)
    assert cross.status_code == 403 and "tp_session" not in cross.headers.get("set-cookie", "")
    same = portal.post("/ui/sign-out", headers={"origin": "http://testserver"}, follow_redirects=False)
    assert same.status_code == 303 and 'tp_session=""' in same.headers["set-cookie"]
    portal.cookies.clear()


def test_hsts_is_sent_when_the_portal_is_served_over_tls(portal_settings):
    secure = portal_settings.model_copy(update={"cookie_secure": True})
    with TestClient(build_app(secure), base_url="https://testserver") as client:
        assert client.get("/healthz").headers["strict-transport-security"].startswith("max-age=")
