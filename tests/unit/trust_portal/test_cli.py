"""The partner CLI against a scripted portal (httpx.MockTransport): retries, idempotency, errors, exit codes."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from slsa_watch import dsse
from trust_portal import cli
from trust_portal.client import Portal, PortalError, retry_after_s
from trust_portal.provenance import ProvenanceFileError, countersign, naming

ENV = {"TRUST_PORTAL_URL": "http://portal.test", "TRUST_PORTAL_TENANT": "acme", "TRUST_PORTAL_API_KEY": "tp_secret"}


def scripted(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.MockTransport(handle)


def portal(answers: list[httpx.Response], seen: list[httpx.Request], slept: list[float]) -> Portal:
    return Portal("http://portal.test", "tp_secret", "acme", transport=scripted(answers, seen), sleep=slept.append)


def test_a_429_and_a_503_are_retried_after_the_wait_the_portal_asks_for_then_the_answer_returned():
    seen: list[httpx.Request] = []
    slept: list[float] = []
    answers = [httpx.Response(429, headers={"retry-after": "7"}), httpx.Response(503, headers={"retry-after": "2"}),
               httpx.Response(202, json={"submission_id": "s-1"})]  # fmt: skip
    got = portal(answers, seen, slept).request("POST", "/provenance", body={"a": 1}, key="k-1")
    assert got == {"submission_id": "s-1"} and slept == [7.0, 2.0]
    assert {r.headers["idempotency-key"] for r in seen} == {"k-1"}  # every retry is the same write
    assert all(r.headers["authorization"] == "Bearer tp_secret" for r in seen)


def test_retry_after_as_an_http_date_is_honoured_and_an_absurd_wait_is_capped():
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    dated = httpx.Response(503, headers={"retry-after": format_datetime(now + timedelta(seconds=30), usegmt=True)})
    assert retry_after_s(dated, now=lambda: now) == 30.0
    assert retry_after_s(httpx.Response(429, headers={"retry-after": "86400"})) == 120.0
    assert retry_after_s(httpx.Response(429)) is None


def test_a_refusal_is_not_retried_and_its_error_names_the_field_and_reason():
    seen: list[httpx.Request] = []
    detail = [{"loc": ["body", "artifact_sha256"], "msg": "String should match pattern"}]
    with pytest.raises(PortalError, match=r"422 Unprocessable Entity: artifact_sha256: String should match") as err:
        portal([httpx.Response(422, json={"detail": detail})], seen, []).request("POST", "/provenance", body={})
    assert err.value.status == 422 and len(seen) == 1


def test_the_portal_not_answering_is_retried_then_reported_without_the_key():
    slept: list[float] = []

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = Portal("http://portal.test", "tp_secret", "acme", attempts=3, transport=httpx.MockTransport(down),
                    sleep=slept.append)  # fmt: skip
    with pytest.raises(PortalError, match="did not answer") as err:
        client.request("GET", "/provenance/x")
    assert len(slept) == 2 and "tp_secret" not in str(err.value)


def signed_envelope(tmp_path: Path, sha256: str) -> tuple[Path, dict[str, Any]]:
    kind = "https://in-toto.io/Statement/v1"
    statement = {"_type": kind, "subject": [{"name": "robot", "digest": {"sha256": sha256}}],
                 "predicateType": "https://slsa.dev/provenance/v1", "predicate": {}}  # fmt: skip
    other = {"_type": kind, "subject": [{"name": "x", "digest": {"sha256": "0" * 64}}]}
    sigstore = {"keyid": "sigstore", "sig": base64.b64encode(b"x" * 64).decode()}
    payloads = [base64.b64encode(json.dumps(s).encode()).decode() for s in (other, statement)]
    lines = [{"payloadType": "application/vnd.in-toto+json", "payload": p, "signatures": [sigstore]} for p in payloads]
    path = tmp_path / "robot.intoto.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in lines) + "\n")
    return path, lines[1]


def test_the_envelope_naming_the_artifact_is_chosen_and_a_countersignature_verifies_under_slsa_watch(tmp_path):
    path, expected = signed_envelope(tmp_path, "a" * 64)
    assert naming(path, "a" * 64) == expected
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    signed = countersign(expected, pem, "release-2026")
    assert [s["keyid"] for s in signed["signatures"]] == ["sigstore", "release-2026"]  # the generator's kept
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    verified = dsse.verify(dsse.parse(json.dumps(signed)), [dsse.load_key("release-2026", public)])
    assert verified.signed_by == "release-2026"
    with pytest.raises(ProvenanceFileError, match="no envelope names an artifact with sha256 " + "b" * 64):
        naming(path, "b" * 64)


def test_a_broken_provenance_file_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "bad.intoto.jsonl"
    path.write_text('{"payloadType": "x", "payload": "", "signatures": []}\n{not json\n')
    with pytest.raises(ProvenanceFileError, match=r"bad.intoto.jsonl:2: not JSON"):
        naming(path, "a" * 64)


def test_submitting_twice_sends_the_same_idempotency_key_so_a_rerun_step_never_submits_twice(tmp_path, monkeypatch):
    artifact = tmp_path / "robot.tar.gz"
    artifact.write_bytes(b"release bytes")
    path, _ = signed_envelope(tmp_path, hashlib.sha256(b"release bytes").hexdigest())
    seen: list[httpx.Request] = []
    answers = [httpx.Response(202, json={"submission_id": "s-1", "repo": "github.com/acme/robot"}) for _ in range(2)]
    transport = scripted(answers, seen)
    monkeypatch.setattr(cli, "Portal", lambda **kw: Portal(**kw, transport=transport, sleep=lambda _: None))
    argv = [
        "submit-provenance",
        "--artifact",
        str(artifact),
        "--provenance",
        str(path),
        "--repo",
        "github.com/acme/robot",
    ]
    assert cli.run(argv, ENV) == 0 and cli.run(argv, ENV) == 0
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(seen) == 2 and len(keys) == 1
    assert json.loads(seen[0].content)["artifact_sha256"] == hashlib.sha256(b"release bytes").hexdigest()


def test_an_image_is_submitted_by_its_digest_and_a_malformed_digest_is_refused_before_any_call(
    tmp_path, monkeypatch, capsys
):
    path, _ = signed_envelope(tmp_path, "c" * 64)
    seen: list[httpx.Request] = []
    transport = scripted([httpx.Response(202, json={"submission_id": "s-2"})], seen)
    monkeypatch.setattr(cli, "Portal", lambda **kw: Portal(**kw, transport=transport, sleep=lambda _: None))
    argv = ["submit-provenance", "--provenance", str(path), "--repo", "github.com/acme/robot"]
    assert cli.run([*argv, "--digest", "sha256:" + "C" * 64, "--name", "ghcr.io/acme/robot"], ENV) == 0
    sent = json.loads(seen[0].content)
    assert (sent["artifact_sha256"], sent["artifact_name"]) == ("c" * 64, "ghcr.io/acme/robot")
    assert cli.run([*argv, "--digest", "sha256:" + "c" * 64], ENV) == cli.ERROR  # no --name
    assert cli.run([*argv, "--digest", "md5:" + "c" * 32, "--name", "x"], ENV) == cli.ERROR
    assert len(seen) == 1
    assert "needs --name" in capsys.readouterr().err


@pytest.mark.parametrize(("status", "code"), [("verified", 0), ("rejected", 1), ("pending", 3)])
def test_verdict_exits_by_the_verdict_so_a_release_can_gate_on_it(monkeypatch, capsys, status, code):
    body = {"submission_id": "s-1", "status": status, "build_level": 3 if status == "verified" else 0,
            "reasons": ["subject: not the artifact"] if status == "rejected" else []}  # fmt: skip
    transport = scripted([httpx.Response(200, json=body)], [])
    monkeypatch.setattr(cli, "Portal", lambda **kw: Portal(**kw, transport=transport, sleep=lambda _: None))
    assert cli.run(["verdict", "s-1"], ENV) == code
    out = capsys.readouterr().out
    assert f"s-1: {status}" in out
    if status == "rejected":
        assert "reason: subject: not the artifact" in out


def test_verdict_wait_polls_until_the_verdict_is_in(monkeypatch):
    answers = [httpx.Response(200, json={"submission_id": "s-1", "status": "pending"}) for _ in range(3)]
    answers.append(httpx.Response(200, json={"submission_id": "s-1", "status": "verified", "build_level": 3}))
    seen: list[httpx.Request] = []
    transport = scripted(answers, seen)
    monkeypatch.setattr(cli, "Portal", lambda **kw: Portal(**kw, transport=transport, sleep=lambda _: None))
    assert cli.run(["verdict", "s-1", "--wait"], ENV) == 0 and len(seen) == 4


def test_a_missing_setting_is_named_and_exits_2_without_calling_the_portal(capsys):
    assert cli.run(["verdict", "s-1"], {"TRUST_PORTAL_URL": "http://portal.test"}) == 2
    err = capsys.readouterr().err
    assert "TRUST_PORTAL_TENANT" in err and "TRUST_PORTAL_API_KEY" in err
