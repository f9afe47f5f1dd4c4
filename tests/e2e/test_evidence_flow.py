"""Evidence end to end: a tenant's admin registers a trust policy and requests a pack through the portal; the
evidence process (a real subprocess) builds, signs and ledgers it; the portal lists it and its auditor
downloads it; `evidence verify` checks the download offline; another tenant's auditor gets nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from evidence.settings import EvidenceSettings
from pydantic import SecretStr
from service_kit.testing.launcher import ServiceProcess, env_for, free_port
from service_kit.testing.provenance import Signer

from tests.integration.support import wait_for

BIN = Path(sys.executable).parent


def test_a_pack_requested_in_the_portal_is_built_listed_downloaded_and_verifies(
    portal, issuer, portal_settings, tmp_path
):
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    cfg = EvidenceSettings(
        kafka_bootstrap=portal_settings.kafka_bootstrap, mongo_uri=portal_settings.mongo_uri,
        mongo_db=portal_settings.mongo_db, topic_prefix=portal_settings.topic_prefix, signing_key=SecretStr(pem),
    )  # fmt: skip
    service = ServiceProcess(env_for(cfg), tmp_path / "evidence.log", port=free_port(), command="evidence",
                             port_env="EVIDENCE_HTTP_PORT").start(timeout_s=60)  # fmt: skip
    try:
        admin = issuer.bearer("ana", {"acme": ["admin"]})
        acme = Signer("acme")
        policy = acme.policy(["github.com/acme/robot"], datetime.now(UTC)).data.model_dump(
            mode="json", include={"keys", "builders", "source_repositories"}
        )
        assert portal.post("/api/v1/tenants/acme/trust-policy", json=policy, headers=admin).status_code == 202
        period = datetime.now(UTC).strftime("%Y-%m")

        def built():
            requested = portal.post("/api/v1/tenants/acme/evidence-packs", json={"period": period}, headers=admin)
            assert requested.status_code == 202
            packs = portal.get("/api/v1/tenants/acme/evidence-packs", headers=admin).json()["packs"]
            return packs[0] if packs else None

        pack = wait_for(built, timeout=60, what="the pack in the portal's Evidence tab")  # until its evidence arrived
        assert pack["item_count"] >= 1 and pack["tree_size"] >= 1 and "signature" not in pack

        auditor = issuer.bearer("aud", {"acme": ["auditor"]})
        base = f"/api/v1/tenants/acme/evidence-packs/{pack['pack_id']}/files"
        archive = portal.get(f"{base}/archive", headers=auditor)
        assert archive.status_code == 200 and archive.headers["content-type"] == "application/x-tar"
        name = f"evidence-{pack['pack_id']}.tar"
        (tmp_path / name).write_bytes(archive.content)
        for file in ("signature", "proof", "tree-head"):
            answer = portal.get(f"{base}/{file}", headers=auditor)
            assert answer.status_code == 200, file
            (tmp_path / f"{name}.{'dsse' if file == 'signature' else file}.json").write_bytes(answer.content)
        public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        (tmp_path / "platform-key.pem").write_bytes(public)
        checked = subprocess.run(
            [str(BIN / "evidence"), "verify", str(tmp_path / name), "--key", str(tmp_path / "platform-key.pem"),
             "--proof", str(tmp_path / f"{name}.proof.json"), "--tree-head", str(tmp_path / f"{name}.tree-head.json")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert checked.returncode == 0 and "VERIFIED" in checked.stdout, checked.stdout + checked.stderr

        engineer = issuer.bearer("eli", {"acme": ["engineer"]})
        assert portal.get(f"{base}/archive", headers=engineer).status_code == 403  # lists packs, may not download
        stranger = issuer.bearer("bo", {"beta": ["auditor"]})
        assert portal.get(f"{base}/archive", headers=stranger).status_code == 403
        other = f"/api/v1/tenants/beta/evidence-packs/{pack['pack_id']}/files/archive"
        assert portal.get(other, headers=stranger).status_code == 403  # the pack is acme's: its owner is decided on
        portal.cookies.set("tp_session", issuer.token("aud", {"acme": ["auditor"]}))
        page = portal.get("/ui/tenants/acme/evidence")
        assert (
            page.status_code == 200 and f"/ui/tenants/acme/evidence-packs/{pack['pack_id']}/files/archive" in page.text
        )
        download = portal.get(f"/ui/tenants/acme/evidence-packs/{pack['pack_id']}/files/archive")
        assert download.status_code == 200 and download.content == archive.content
    finally:
        service.stop()
