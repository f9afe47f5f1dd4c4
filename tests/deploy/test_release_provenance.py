"""Our images' provenance (deploy/release/provenance.py): what it states is what uv.lock pins for the very
files installed, and slsa-watch's own verifier accepts it under the project's trust policy at the level it
earns (a local build: L2, not hermetic, every dependency pinned) and refuses it under any other key."""

from __future__ import annotations

import base64
import importlib.util
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from slsa_watch.dsse import load_key
from slsa_watch.verdict import BuilderRule, TrustPolicy, judge

ROOT = Path(__file__).resolve().parents[2]
LOCK = (ROOT / "uv.lock").read_text()


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"release_{name}", ROOT / f"deploy/release/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = load("provenance")


def lock_entry(name: str) -> dict[str, Any]:
    return next(p for p in tomllib.loads(LOCK)["package"] if p["name"] == name)


def test_each_installed_distribution_is_pinned_by_the_hash_uv_lock_gives_the_very_wheel_installed():
    httpx, cryptography = lock_entry("httpx"), lock_entry("cryptography")
    manylinux = next(w for w in cryptography["wheels"] if "cp311-abi3-manylinux_2_28_x86_64" in w["url"])
    installed = [
        {"name": "httpx", "version": httpx["version"], "tags": ["py3-none-any"]},
        {"name": "cryptography", "version": cryptography["version"], "tags": ["cp311-abi3-manylinux_2_28_x86_64"]},
        {"name": "portal-api", "version": "0.1.0", "tags": ["py3-none-any"]},  # ours: from the source revision
    ]
    found = {d["uri"].split("@")[0]: d for d in release.locked(installed, LOCK)}
    assert set(found) == {"pkg:pypi/httpx", "pkg:pypi/cryptography"}
    assert found["pkg:pypi/httpx"]["digest"] == {"sha256": httpx["wheels"][0]["hash"].removeprefix("sha256:")}
    assert found["pkg:pypi/cryptography"]["digest"] == {"sha256": manylinux["hash"].removeprefix("sha256:")}
    assert found["pkg:pypi/cryptography"]["downloadLocation"] == manylinux["url"]


def test_a_distribution_the_lock_does_not_pin_at_that_version_or_for_those_tags_is_an_error():
    httpx = lock_entry("httpx")
    with pytest.raises(release.ReleaseError, match="uv.lock pins"):
        release.locked([{"name": "httpx", "version": "0.0.1", "tags": ["py3-none-any"]}], LOCK)
    with pytest.raises(release.ReleaseError, match="names no file"):
        release.locked([{"name": "httpx", "version": httpx["version"], "tags": ["cp27-cp27m-win32"]}], LOCK)


def test_a_name_locked_at_two_versions_for_two_pythons_is_pinned_at_the_version_installed():
    versions = [p for p in tomllib.loads(LOCK)["package"] if p["name"] == "contourpy"]
    assert len(versions) >= 2, "uv.lock no longer locks contourpy twice: pick another such name"
    for entry in versions:
        wheel = next(w for w in entry["wheels"] if "manylinux" in w["url"] and "x86_64" in w["url"])
        tag = "-".join(release.wheel_file(wheel["url"]).removesuffix(".whl").split("-")[-3:])
        installed = [{"name": "contourpy", "version": entry["version"], "tags": [tag]}]
        (found,) = release.locked(installed, LOCK)
        assert found["uri"].startswith(f"pkg:pypi/contourpy@{entry['version']}?")
        assert found["digest"] == {"sha256": wheel["hash"].removeprefix("sha256:")}


def signed(key: ed25519.Ed25519PrivateKey, digest: str, **changes: Any) -> str:
    body = release.statement(
        image="trust-portal/portal-api",
        digest=f"sha256:{digest}",
        service="portal-api",
        source={"repo": release.SOURCE_REPO, "revision": "a" * 40, "ref": "refs/heads/main", "worktree": "clean"},
        base={"image": "localhost/trust-portal/base:bookworm", "digest": "sha256:" + "b" * 64},
        dependencies=release.locked(
            [{"name": "httpx", "version": lock_entry("httpx")["version"], "tags": ["py3-none-any"]}], LOCK
        ),
        builder_id=changes.get("builder_id", release.LOCAL_BUILDER),
        finished=datetime(2026, 12, 4, tzinfo=UTC),
    )
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return json.dumps(release.envelope(body, pem, "release-1"))


def project_policy(key: ed25519.Ed25519PrivateKey) -> TrustPolicy:
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public = release.public_key(pem)
    assert public["algorithm"] == "ed25519"
    return TrustPolicy(
        keys=(load_key("release-1", public["public_key_pem"]),),
        builders=(BuilderRule(release.LOCAL_BUILDER),),
        source_repositories=("github.com/trust-portal/trust-portal",),
    )


def test_slsa_watch_verifies_a_local_image_build_at_l2_pinned_and_not_hermetic():
    key = ed25519.Ed25519PrivateKey.generate()
    verdict = judge(signed(key, "c" * 64), "c" * 64, "github.com/trust-portal/trust-portal", project_policy(key))
    assert verdict.verified, verdict.failed
    assert (verdict.build_level, verdict.hermetic, verdict.pinned) == (2, False, True)
    assert verdict.provenance is not None and verdict.provenance.source_ref == "refs/heads/main"
    kinds = [uri.split(":")[0] for uri, _ in verdict.provenance.dependencies]
    assert kinds == ["git+https", "oci", "pkg"]  # the source revision, the base image, then uv.lock's files


def test_the_provenance_is_refused_under_another_key_or_for_another_digest():
    key, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    repo = "github.com/trust-portal/trust-portal"
    assert not judge(signed(other, "c" * 64), "c" * 64, repo, project_policy(key)).verified
    wrong_digest = judge(signed(key, "c" * 64), "d" * 64, repo, project_policy(key))
    assert any(f.startswith("subject:") for f in wrong_digest.failed)


def test_a_malformed_digest_is_named():
    with pytest.raises(release.ReleaseError, match="--digest"):
        release.statement(image="x", digest="sha256:xyz", service="x", source={"repo": "r", "revision": "a"},
                          base={"image": "b", "digest": "sha256:" + "b" * 64}, dependencies=[], builder_id="x",
                          finished=datetime(2026, 12, 4, tzinfo=UTC))  # fmt: skip


def test_the_payload_is_the_statement_in_canonical_json():
    key = ed25519.Ed25519PrivateKey.generate()
    payload = base64.b64decode(json.loads(signed(key, "c" * 64))["payload"])
    assert payload == json.dumps(json.loads(payload), sort_keys=True, separators=(",", ":")).encode()
