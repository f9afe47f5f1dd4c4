"""Signed example provenance: a CI signer, its trust policy and submissions (for the demo, benchmark and tests).

What a tenant's release pipeline does: build, write an in-toto Statement v1 with an SLSA provenance v1
predicate over the artifact's digest, sign it as a DSSE envelope with the tenant's Ed25519 release key;
the tenant registers that key, the builders it trusts and its source repositories as its trust policy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.provenance import ProvenanceSubmitted, ProvenanceSubmittedData, pae

__all__ = ["HARDENED_BUILDER", "HOSTED_BUILDER", "IN_TOTO", "UNTRUSTED_BUILDER", "Signer", "digest_of"]

IN_TOTO = "application/vnd.in-toto+json"
HARDENED_BUILDER = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
HOSTED_BUILDER = "https://ci.example.com/runners/shared"
UNTRUSTED_BUILDER = "https://laptop.example.com/make"


def digest_of(name: str) -> str:
    """A stable sha256 standing in for an artifact's bytes."""
    return hashlib.sha256(name.encode()).hexdigest()


@dataclass
class Signer:
    """A tenant's release key, signing provenance the way its CI would."""

    tenant: str
    key_id: str = "release-2026"
    key: ed25519.Ed25519PrivateKey = field(default_factory=ed25519.Ed25519PrivateKey.generate)

    @property
    def public_pem(self) -> str:
        """The public key as the tenant registers it."""
        return self.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def envelope(
        self,
        repo: str,
        artifact: str,
        *,
        builder: str = HARDENED_BUILDER + "generator_generic_slsa3.yml@refs/tags/v2.1.0",
        hermetic: bool = True,
        pinned: bool = True,
        ref: str = "refs/tags/v1.0.0",
    ) -> str:
        """The DSSE envelope (JSON) over an in-toto Statement v1 / SLSA provenance v1 for `artifact`."""
        dependency: dict[str, object] = {"uri": f"git+https://{repo}@{ref}"}
        if pinned:  # a commit id (40 hex digits) standing in for the source's
            dependency["digest"] = {"gitCommit": hashlib.sha256(f"{repo}{ref}".encode()).hexdigest()[:40]}
        invocation = str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://{repo}/{ref}/{artifact}/{builder}"))
        statement = {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": artifact, "digest": {"sha256": digest_of(artifact)}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {
                    "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                    "externalParameters": {"workflow": {"repository": f"https://{repo}", "ref": ref, "path": "ci.yml"}},
                    "internalParameters": {"hermetic": hermetic},
                    "resolvedDependencies": [dependency],
                },
                "runDetails": {"builder": {"id": builder}, "metadata": {"invocationId": invocation}},
            },
        }
        return self.sign(json.dumps(statement, separators=(",", ":")).encode())

    def sign(self, payload: bytes, payload_type: str = IN_TOTO) -> str:
        """A DSSE envelope (JSON) over `payload`, signed with this key."""
        signature = self.key.sign(pae(payload_type, payload))
        return json.dumps(
            {
                "payloadType": payload_type,
                "payload": base64.b64encode(payload).decode(),
                "signatures": [{"keyid": self.key_id, "sig": base64.b64encode(signature).decode()}],
            }
        )

    def policy(self, repos: list[str], at: datetime, *, policy_id: str = "policy-1") -> TrustPolicyUpdated:
        """The tenant's trust policy: this key, the hardened generator (L3), a hosted CI (L2), its repos."""
        return TrustPolicyUpdated.create(
            data=TrustPolicyUpdatedData(
                policy_id=policy_id,
                keys=(TrustedKey(key_id=self.key_id, algorithm="ed25519", public_key_pem=self.public_pem),),
                builders=(
                    TrustedBuilder(id=HARDENED_BUILDER, prefix=True, hardened=True),
                    TrustedBuilder(id=HOSTED_BUILDER, hardened=False),
                ),
                source_repositories=tuple(repos),
                updated_by="release-manager",
                updated_at=at,
            ),
            source="/services/portal-api",
            tenantid=self.tenant,
            time=at,
        )

    def submission(self, repo: str, artifact: str, envelope: str, at: datetime) -> ProvenanceSubmitted:
        """The portal's event for one submission of `envelope`."""
        submission_id = str(uuid.uuid4())
        return ProvenanceSubmitted.create(
            data=ProvenanceSubmittedData(
                submission_id=submission_id,
                repo=repo,
                artifact_name=artifact,
                artifact_sha256=digest_of(artifact),
                envelope=envelope,
                submitted_by=f"apikey:{self.tenant}-ci",
                submitted_at=at,
            ),
            id=submission_id,
            source="/services/portal-api",
            tenantid=self.tenant,
            subject=f"/tenants/{self.tenant}/provenance/{submission_id}",
            time=at,
        )
