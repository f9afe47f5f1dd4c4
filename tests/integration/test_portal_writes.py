"""The portal's writes and billing on the real Kafka and FerretDB: provenance, trust policy, usage, invoices."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from portal_api.app import build_app
from portal_api.billing import invoice_id, load_plans
from portal_api.cli import issue_invoices
from pymongo import MongoClient
from schemas.provenance import MAX_ENVELOPE_BYTES

from schemas import topics
from tests.integration.conftest import MONGO
from tests.integration.support import read_topic, wait_for

DIGEST = "a" * 64
ENVELOPE = {
    "payloadType": "application/vnd.in-toto+json",
    "payload": base64.b64encode(b'{"_type": "https://in-toto.io/Statement/v1"}').decode(),
    "signatures": [{"keyid": "k1", "sig": "c2ln"}],
}


def pem(key) -> str:
    return str(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode())


def admin_key(portal, issuer, tenant: str, role: str = "engineer") -> dict[str, str]:
    created = portal.post(
        f"/api/v1/tenants/{tenant}/api-keys",
        json={"name": f"{role} CI", "role": role},
        headers=issuer.bearer(f"admin@{tenant}", {tenant: ["admin"]}),
    )
    assert created.status_code == 201
    return {"authorization": f"Bearer {created.json()['key']}"}


def test_an_engineer_key_submits_provenance_once_per_idempotency_key(portal, issuer, portal_settings):
    ci = admin_key(portal, issuer, "acme")
    body = {"repo": "github.com/acme/robot", "artifact_name": "robot.tar.gz", "artifact_sha256": DIGEST}
    first = portal.post(
        "/api/v1/tenants/acme/provenance", json={**body, "envelope": ENVELOPE}, headers={**ci, "idempotency-key": "r1"}
    )
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    again = portal.post(
        "/api/v1/tenants/acme/provenance", json={**body, "envelope": ENVELOPE}, headers={**ci, "idempotency-key": "r1"}
    )
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"

    records = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.PROVENANCE_SUBMITTED))]
    assert len(records) == 1
    event = records[0]
    assert event["type"] == "io.trustportal.provenance.submitted.v1" and event["tenantid"] == "acme"
    assert event["id"] == first.json()["submission_id"] and event["data"]["artifact_sha256"] == DIGEST
    assert json.loads(event["data"]["envelope"]) == ENVELOPE and event["data"]["submitted_by"].startswith("apikey:")

    viewer_key = admin_key(portal, issuer, "acme", role="viewer")
    denied = portal.post("/api/v1/tenants/acme/provenance", json={**body, "envelope": ENVELOPE}, headers=viewer_key)
    assert denied.status_code == 403
    other = portal.post("/api/v1/tenants/beta/provenance", json={**body, "envelope": ENVELOPE}, headers=ci)
    assert other.status_code == 403  # a key acts for its own tenant only
    not_dsse = portal.post("/api/v1/tenants/acme/provenance", json={**body, "envelope": {"payload": "x"}}, headers=ci)
    assert not_dsse.status_code == 422 and "payloadType" in not_dsse.text
    bad_digest = portal.post(
        "/api/v1/tenants/acme/provenance", json={**body, "artifact_sha256": "XYZ", "envelope": ENVELOPE}, headers=ci
    )
    assert bad_digest.status_code == 422 and "artifact_sha256" in bad_digest.text


def test_an_admin_registers_a_trust_policy_and_the_slsa_map_shows_it(portal, issuer, portal_settings):
    admin = issuer.bearer("ana", {"acme": ["admin"]})
    policy: dict[str, Any] = {
        "keys": [
            {
                "key_id": "release-ed25519",
                "algorithm": "ed25519",
                "public_key_pem": pem(ed25519.Ed25519PrivateKey.generate()),
            },
            {
                "key_id": "release-p256",
                "algorithm": "ecdsa-p256",
                "public_key_pem": pem(ec.generate_private_key(ec.SECP256R1())),
            },
        ],
        "builders": [
            {
                "id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/",
                "prefix": True,
                "hardened": True,
            }
        ],
        "source_repositories": ["github.com/acme/robot"],
    }
    accepted = portal.post("/api/v1/tenants/acme/trust-policy", json=policy, headers={**admin, "idempotency-key": "p1"})
    assert accepted.status_code == 202
    records = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.POLICY_EVENTS))]
    updates = [r for r in records if r["type"] == "io.trustportal.policy.trust-policy-updated.v1"]
    assert len(updates) == 1 and updates[0]["tenantid"] == "acme"
    assert [k["key_id"] for k in updates[0]["data"]["keys"]] == ["release-ed25519", "release-p256"]

    shown = wait_for(
        lambda: portal.get("/api/v1/tenants/acme/slsa-map", headers=admin).json()["trust_policy"], what="trust policy"
    )
    assert (
        shown["source_repositories"] == ["github.com/acme/robot"] and shown["policy_id"] == accepted.json()["policy_id"]
    )
    assert (
        portal.get("/api/v1/tenants/beta/slsa-map", headers=issuer.bearer("bo", {"beta": ["admin"]})).json()[
            "trust_policy"
        ]
        is None
    )

    mislabeled = {**policy, "keys": [{**policy["keys"][1], "algorithm": "ed25519"}]}
    refused = portal.post("/api/v1/tenants/acme/trust-policy", json=mislabeled, headers=admin)
    assert refused.status_code == 422 and "keys[0] (release-p256)" in refused.text
    for role in ("engineer", "auditor", "finance", "viewer"):
        denied = portal.post(
            "/api/v1/tenants/acme/trust-policy", json=policy, headers=issuer.bearer("x", {"acme": [role]})
        )
        assert denied.status_code == 403, role


def test_usage_is_metered_in_batches_and_invoiced_once_per_period(portal, issuer, portal_settings):
    acme_viewer, beta_viewer = issuer.bearer("vic", {"acme": ["viewer"]}), issuer.bearer("bea", {"beta": ["viewer"]})
    for _ in range(4):
        assert portal.get("/api/v1/tenants/acme/overview", headers=acme_viewer).status_code == 200
    assert portal.get("/api/v1/tenants/beta/overview", headers=beta_viewer).status_code == 200
    eng = issuer.bearer("eli", {"acme": ["engineer"]})
    assert (
        portal.post("/api/v1/tenants/acme/evidence-packs", json={"period": "2026-10"}, headers=eng).status_code == 202
    )
    assert portal.get("/api/v1/tenants/beta/overview", headers=acme_viewer).status_code == 403  # refused: not billed

    sent = portal.portal.call(portal.app.state.metering.flush)
    assert sent == 3  # one UsageRecorded each: acme api_calls, acme pack_requests, beta api_calls
    finance = issuer.bearer("fin", {"acme": ["finance"]})

    def acme_usage():
        rows = portal.get("/api/v1/tenants/acme/finance", headers=finance).json()["usage"]
        # Each meter is its own UsageRecorded: wait until both of acme's have been folded.
        return rows if rows and rows[0]["units"]["api_calls"] >= 5 and rows[0]["units"]["pack_requests"] else None

    usage = wait_for(acme_usage, what="acme usage in the projection")
    period = usage[0]["period"]
    assert usage[0]["units"] == {"api_calls": 5, "provenance_submissions": 0, "pack_requests": 1}

    plans = load_plans()
    now = datetime.now(UTC)
    first = asyncio.run(issue_invoices(portal_settings, period, plans, now))
    assert [r["tenant"] for r in first["invoices"]] == ["acme", "beta", "gamma"] and not first["problems"]
    assert {r["status"] for r in first["invoices"]} == {"issued"}
    acme = next(r for r in first["invoices"] if r["tenant"] == "acme")
    assert acme["invoice_id"] == invoice_id("acme", period) and acme["total_minor"] == plans["standard"].base_fee_minor

    with MongoClient(MONGO) as client:
        invoices_seen = client[portal_settings.mongo_db]["portal_invoices"]
        wait_for(lambda: invoices_seen.count_documents({}) == 3, what="the three invoices in the projection")
    again = asyncio.run(issue_invoices(portal_settings, period, plans, now))
    assert {r["status"] for r in again["invoices"]} == {"already issued"}
    billing = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.BILLING_EVENTS))]
    invoices = [r for r in billing if r["type"] == "io.trustportal.billing.invoice-issued.v1"]
    assert sorted(r["tenantid"] for r in invoices) == ["acme", "beta", "gamma"]  # the rerun published nothing
    with MongoClient(MONGO) as client:
        assert client[portal_settings.mongo_db]["portal_invoices"].count_documents({}) == 3  # still three

    shown = portal.get("/api/v1/tenants/acme/finance", headers=finance).json()
    assert shown["invoices"][0]["total_minor"] == plans["standard"].base_fee_minor and shown["withheld"] == []
    admin_view = portal.get("/api/v1/tenants/acme/finance", headers=issuer.bearer("ana", {"acme": ["admin"]})).json()
    assert admin_view["invoices"][0]["total_minor"] == shown["invoices"][0]["total_minor"]
    for role in ("engineer", "auditor", "viewer"):
        denied = portal.get("/api/v1/tenants/acme/finance", headers=issuer.bearer("x", {"acme": [role]}))
        assert denied.status_code == 403, role
    beta = portal.get("/api/v1/tenants/beta/finance", headers=issuer.bearer("bf", {"beta": ["finance"]})).json()
    assert [i["invoice_id"] for i in beta["invoices"]] == [invoice_id("beta", period)]
    assert beta["usage"][0]["units"]["api_calls"] == 1


def test_one_trace_runs_from_an_http_write_through_the_kafka_publish_into_the_consumer(issuer, portal_settings):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with TestClient(build_app(portal_settings, tracer_provider=provider)) as client:
        policy = {
            "keys": [
                {"key_id": "k", "algorithm": "ed25519", "public_key_pem": pem(ed25519.Ed25519PrivateKey.generate())}
            ],
            "builders": [{"id": "https://builder.example/"}],
            "source_repositories": ["github.com/acme/robot"],
        }
        accepted = client.post(
            "/api/v1/tenants/acme/trust-policy", json=policy, headers=issuer.bearer("ana", {"acme": ["admin"]})
        )
        assert accepted.status_code == 202

        def server_trace() -> int | None:
            spans = exporter.get_finished_spans()
            found: int | None = next(
                (s.context.trace_id for s in spans if s.kind == SpanKind.SERVER and "trust-policy" in s.name), None
            )
            return found

        def consumed() -> list:
            # The bundle published at start-up is consumed too, in its own trace: look for the request's.
            spans = exporter.get_finished_spans()
            return [
                s
                for s in spans
                if s.kind == SpanKind.CONSUMER
                and topics.POLICY_EVENTS in s.name
                and s.context.trace_id == server_trace()
            ]

        wait_for(lambda: bool(consumed()), what="the policy consumer's span in the request's trace")
    spans = exporter.get_finished_spans()
    trace = server_trace()
    producers = [s for s in spans if s.kind == SpanKind.PRODUCER and s.context.trace_id == trace]
    assert any(topics.POLICY_EVENTS in s.name for s in producers)  # the TrustPolicyUpdated publish
    assert any(topics.AUDIT_EVENTS in s.name for s in producers)  # and the decision's audit record
    consumers = consumed()
    assert consumers, "the consumer's span is not in the request's trace"


def test_an_oversized_request_is_refused_with_413_before_it_is_read(portal, issuer):
    eng = issuer.bearer("eli", {"acme": ["engineer"]})
    huge = {"repo": "github.com/acme/robot", "artifact_name": "x", "artifact_sha256": DIGEST,
            "envelope": {**ENVELOPE, "payload": "A" * (50 * 1024 * 1024)}}  # fmt: skip
    answer = portal.post("/api/v1/tenants/acme/provenance", json=huge, headers=eng)
    assert answer.status_code == 413
    big_envelope = {**ENVELOPE, "payload": "A" * (MAX_ENVELOPE_BYTES + 1)}  # under the body limit, over the envelope's
    answer = portal.post(
        "/api/v1/tenants/acme/provenance",
        json={
            "repo": "github.com/acme/robot",
            "artifact_name": "x",
            "artifact_sha256": DIGEST,
            "envelope": big_envelope,
        },
        headers=eng,
    )
    assert answer.status_code == 422 and "larger than" in answer.text
    assert answer.status_code == 422 and f"{MAX_ENVELOPE_BYTES} bytes" in answer.text


def test_a_repository_is_submitted_under_its_one_canonical_name(portal, issuer, portal_settings):
    ci = admin_key(portal, issuer, "acme")
    body = {"artifact_name": "robot.tar.gz", "artifact_sha256": DIGEST, "envelope": ENVELOPE}
    for spelling in ("https://GitHub.com/Acme/Robot.git", "git@github.com:acme/robot.git"):
        accepted = portal.post("/api/v1/tenants/acme/provenance", json={**body, "repo": spelling}, headers=ci)
        assert accepted.status_code == 202 and accepted.json()["repo"] == "github.com/acme/robot", accepted.text
    refused = portal.post("/api/v1/tenants/acme/provenance", json={**body, "repo": "acme/robot@v1"}, headers=ci)
    assert refused.status_code == 422 and "repository" in refused.text
    records = [json.loads(r.value) for r in asyncio.run(read_topic(portal_settings, topics.PROVENANCE_SUBMITTED))]
    assert {r["data"]["repo"] for r in records} == {"github.com/acme/robot"}


def test_errors_a_caller_can_cause_are_answers_not_500s(portal, issuer):
    import base64

    from cryptography.hazmat.primitives.asymmetric import dsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    admin = issuer.bearer("ana", {"acme": ["admin"]})
    der = dsa.generate_private_key(1024).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    at = der.index(bytes([0x2A, 0x86, 0x48, 0xCE, 0x38])) + 4
    unknown = der[:at] + bytes([der[at] ^ 0x01]) + der[at + 1 :]  # an algorithm OID nobody knows
    pem = "-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(unknown).decode() + "-----END PUBLIC KEY-----\n"
    policy = {"keys": [{"key_id": "odd", "algorithm": "ed25519", "public_key_pem": pem}],
              "builders": [{"id": "https://b.example/"}], "source_repositories": ["github.com/acme/robot"]}  # fmt: skip
    answer = portal.post("/api/v1/tenants/acme/trust-policy", json=policy, headers=admin)
    assert answer.status_code == 422 and "keys[0] (odd)" in answer.text, answer.text
    nested = "[" * 100_000 + "]" * 100_000
    deep = portal.post("/api/v1/tenants/acme/trust-policy", content=nested,
                       headers={**admin, "content-type": "application/json"})  # fmt: skip
    assert deep.status_code in (400, 422), deep.status_code
