"""Provenance end to end: a tenant registers its policy and submits provenance through the portal; the
slsa-watch process (a real subprocess) verifies it; the portal's SLSA map tab shows the verdicts."""

from __future__ import annotations

import json
from pathlib import Path

from pymongo import MongoClient
from service_kit.testing.launcher import ServiceProcess, env_for, free_port
from service_kit.testing.provenance import HOSTED_BUILDER, Signer, digest_of
from slsa_watch.settings import SlsaWatchSettings

from tests.integration.support import wait_for

REPOS = ["github.com/acme/robot", "github.com/acme/arm", "github.com/acme/eye"]


def test_provenance_submitted_through_the_portal_is_verified_and_mapped(
    portal, issuer, portal_settings, tmp_path: Path
):
    cfg = SlsaWatchSettings(
        kafka_bootstrap=portal_settings.kafka_bootstrap, mongo_uri=portal_settings.mongo_uri,
        mongo_db=portal_settings.mongo_db, topic_prefix=portal_settings.topic_prefix,
    )  # fmt: skip
    watch = ServiceProcess(
        env_for(cfg),
        tmp_path / "slsa-watch.log",
        port=free_port(),
        command="slsa-watch",
        port_env="SLSA_WATCH_HTTP_PORT",
    ).start(timeout_s=60)
    try:
        acme = Signer("acme")
        admin = issuer.bearer("ana", {"acme": ["admin"]})
        policy = {
            "keys": [{"key_id": acme.key_id, "algorithm": "ed25519", "public_key_pem": acme.public_pem}],
            "builders": [
                {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/", "prefix": True,
                 "hardened": True},
                {"id": HOSTED_BUILDER},
            ],
            "source_repositories": REPOS,
        }  # fmt: skip
        assert portal.post("/api/v1/tenants/acme/trust-policy", json=policy, headers=admin).status_code == 202
        created = portal.post("/api/v1/tenants/acme/api-keys", json={"name": "CI", "role": "engineer"}, headers=admin)
        ci = {"authorization": f"Bearer {created.json()['key']}"}
        wait_for(lambda: portal.get("/api/v1/tenants/acme/slsa-map", headers=admin).json()["trust_policy"],
                 what="the policy in the portal")  # fmt: skip
        with MongoClient(cfg.mongo_uri) as mongo:  # slsa-watch keeps its own copy (a submission before: no policy)
            wait_for(lambda: mongo[cfg.mongo_db]["slsa_policies"].find_one({"_id": "acme"}), what="slsa-watch's policy")

        def submit(repo: str, artifact: str, envelope: str) -> None:
            body = {"repo": repo, "artifact_name": artifact, "artifact_sha256": digest_of(artifact),
                    "envelope": json.loads(envelope)}  # fmt: skip
            assert portal.post("/api/v1/tenants/acme/provenance", json=body, headers=ci).status_code == 202

        submit(REPOS[0], "robot.tar.gz", acme.envelope(REPOS[0], "robot.tar.gz"))
        submit(REPOS[1], "arm.tar.gz", acme.envelope(REPOS[1], "arm.tar.gz", builder=HOSTED_BUILDER))
        submit(REPOS[2], "eye.tar.gz", Signer("acme").envelope(REPOS[2], "eye.tar.gz"))  # someone else's key

        def mapped():
            answer = portal.get("/api/v1/tenants/acme/slsa-map", headers=admin).json()
            return answer if len(answer["repos"]) == 3 else None

        shown = wait_for(mapped, what="three repositories in the portal's SLSA map")
        rows = {r["repo"]: r for r in shown["repos"]}
        assert rows[REPOS[0]]["build_level"] == 3 and rows[REPOS[0]]["last_outcome"] == "verified"
        assert rows[REPOS[1]]["build_level"] == 2 and rows[REPOS[1]]["last_outcome"] == "verified"
        assert rows[REPOS[2]]["last_outcome"] == "rejected" and rows[REPOS[2]]["last_reasons"][0].startswith(
            "signature:"
        )
        assert shown["at_l3"] == 1
        portal.cookies.set("tp_session", issuer.token("ana", {"acme": ["admin"]}))
        page = portal.get("/ui/tenants/acme/slsa")
        assert page.status_code == 200 and "rejected: signature:" in page.text and "L3" in page.text
        other = portal.get("/api/v1/tenants/beta/slsa-map", headers=issuer.bearer("bo", {"beta": ["admin"]})).json()
        assert other["repos"] == []  # acme's map is acme's
    finally:
        watch.stop()
