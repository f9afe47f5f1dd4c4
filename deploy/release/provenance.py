r"""Provenance for our own images: an in-toto Statement v1 with an SLSA provenance v1 predicate, DSSE-signed.

  python deploy/release/provenance.py --service portal-api --image trust-portal/portal-api \\
      --digest sha256:... --installed installed.json --base-image REF --base-digest sha256:... --out FILE

What it states: the builder (RELEASE_BUILDER_ID), the source repository and revision, the base image by
digest, and every third-party distribution installed in the image with the hash uv.lock pins for the very
file installed (the wheel whose tags the installed WHEEL metadata names, else the sdist it was built from).
It is signed with the release key from configuration: RELEASE_SIGNING_KEY (a PEM), or the file
RELEASE_SIGNING_KEY_FILE, under the key id RELEASE_KEY_ID. With neither, a development key is made once
under .local/release/ (a local build is then signed, but by a key no one else trusts).

The core (statement, locked, envelope) is pure; main() reads git, files and the environment.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from trust_portal.provenance import ProvenanceFileError, countersign, digest_hex

ROOT = Path(__file__).resolve().parents[2]
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
SOURCE_REPO = "https://github.com/trust-portal/trust-portal"
BUILD_TYPE = f"{SOURCE_REPO}/blob/main/docs/release.md#build-type-oci-image-v1"
LOCAL_BUILDER = f"{SOURCE_REPO}/blob/main/docs/release.md#local-podman-build"
DEV_KEY = ROOT / ".local/release/signing-key.pem"
DEV_KEY_ID = "trust-portal-release-dev"


class ReleaseError(ValueError):
    """Something the provenance cannot be made from; the message names what and why."""


def lock_packages(lock_text: str) -> dict[str, dict[str, dict[str, Any]]]:
    """uv.lock's packages from a registry, by canonical name, then version.

    Workspace members are not among them (they come from the source). A name may be locked at more than one
    version, each for its own Pythons (resolution markers).
    """
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for package in tomllib.loads(lock_text).get("package", []):
        if "registry" in (package.get("source") or {}):
            found.setdefault(canonicalize_name(package["name"]), {})[package["version"]] = package
    return found


def wheel_file(url: str) -> str:
    """A wheel's or sdist's file name from its URL."""
    return url.rsplit("/", 1)[-1].split("#", 1)[0]


def tags_of(installed: Mapping[str, Any]) -> frozenset[Tag]:
    """The wheel tags an installed distribution's WHEEL metadata names."""
    return frozenset(tag for text in installed.get("tags", ()) for tag in parse_tag(text))


def locked(installed: list[dict[str, Any]], lock_text: str) -> list[dict[str, Any]]:
    """One resolved dependency per installed third-party distribution: the file uv.lock pins, by its hash.

    A distribution installed but not in the lock (at that version), or whose file the lock cannot name,
    is an error: provenance that leaves a dependency out would claim more than it knows.
    """
    packages = lock_packages(lock_text)
    found = []
    for dist in sorted(installed, key=lambda d: canonicalize_name(d["name"])):
        name = canonicalize_name(dist["name"])
        versions = packages.get(name)
        if versions is None:
            continue  # a workspace member: built from the source at the stated revision
        package = versions.get(dist["version"])
        if package is None:
            pinned = ", ".join(sorted(versions))
            raise ReleaseError(f"{name} {dist['version']} is installed but uv.lock pins {pinned}")
        tags = tags_of(dist)
        chosen = next(
            (w for w in package.get("wheels", []) if parse_wheel_filename(wheel_file(w["url"]))[3] & tags), None
        )
        if chosen is None and package.get("sdist") and all(t.platform.startswith("linux") for t in tags):
            chosen = package["sdist"]  # no wheel matched: uv built this one from the locked sdist
        if chosen is None:
            raise ReleaseError(f"{name} {dist['version']}: uv.lock names no file with the tags installed ({tags})")
        algorithm, _, value = chosen["hash"].partition(":")
        file_name = wheel_file(chosen["url"])
        found.append({
            "uri": f"pkg:pypi/{name}@{dist['version']}?file_name={file_name}",
            "digest": {algorithm: value},
            "name": file_name,
            "downloadLocation": chosen["url"],
        })  # fmt: skip
    return found


def sha256_hex(digest: str, what: str) -> str:
    """The hex of `sha256:HEX` (the partner CLI's rule); a ReleaseError naming `what` otherwise."""
    try:
        return digest_hex(digest, what)
    except ProvenanceFileError as exc:
        raise ReleaseError(str(exc)) from None


def statement(
    *,
    image: str,
    digest: str,
    service: str,
    source: Mapping[str, str],
    base: Mapping[str, str],
    dependencies: list[dict[str, Any]],
    builder_id: str,
    finished: datetime,
) -> dict[str, Any]:
    """The in-toto Statement v1 of one image: SLSA provenance v1, the source first among its dependencies.

    `source` holds repo, revision, ref and worktree ("clean" or "modified"); `base` holds image and digest.
    The build is not hermetic: the build stage fetches the locked files from PyPI (each checked by its hash).
    """
    uri = f"git+{source['repo']}" + (f"@{source['ref']}" if source.get("ref") else "")
    resolved = [
        {"uri": uri, "digest": {"gitCommit": source["revision"]}},
        {"uri": f"oci://{base['image']}", "digest": {"sha256": sha256_hex(base["digest"], "--base-digest")}},
        *dependencies,
    ]
    return {
        "_type": STATEMENT_V1,
        "subject": [{"name": image, "digest": {"sha256": sha256_hex(digest, "--digest")}}],
        "predicateType": PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "source": uri,
                    "service": service,
                    "dockerfile": "deploy/docker/Dockerfile",
                },
                "internalParameters": {
                    "hermetic": False,
                    "source_date_epoch": source.get("epoch", ""),
                    "worktree": source.get("worktree", "clean"),
                },
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {"id": builder_id},
                "metadata": {"finishedOn": finished.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            },
        },
    }


def envelope(body: dict[str, Any], private_key_pem: bytes, key_id: str) -> dict[str, Any]:
    """The statement as a DSSE envelope signed by the release key (Ed25519 or ECDSA P-256).

    Signed as the partner CLI countersigns (trust_portal.provenance): one DSSE signer for the project.
    """
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    unsigned = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(), "signatures": []}
    try:
        return countersign(unsigned, private_key_pem, key_id)
    except ProvenanceFileError as exc:
        raise ReleaseError(str(exc).replace("signing key", "release key")) from None


def release_key(environ: Mapping[str, str]) -> tuple[bytes, str]:
    """The release key and its id from configuration, else the local development key (made once)."""
    key_id = environ.get("RELEASE_KEY_ID", "")
    if environ.get("RELEASE_SIGNING_KEY"):
        return environ["RELEASE_SIGNING_KEY"].encode(), key_id or "trust-portal-release"
    if environ.get("RELEASE_SIGNING_KEY_FILE"):
        return Path(environ["RELEASE_SIGNING_KEY_FILE"]).read_bytes(), key_id or "trust-portal-release"
    if not DEV_KEY.exists():
        DEV_KEY.parent.mkdir(parents=True, exist_ok=True)
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        DEV_KEY.write_bytes(pem)
        DEV_KEY.chmod(0o600)
        print(f"provenance: made a development release key in {DEV_KEY}", file=sys.stderr)
    return DEV_KEY.read_bytes(), key_id or DEV_KEY_ID


def public_key(private_key_pem: bytes) -> dict[str, str]:
    """The public half of a release key as a trust policy registers it: algorithm and PEM."""
    key = load_pem_private_key(private_key_pem, password=None)
    algorithm = "ed25519" if isinstance(key, ed25519.Ed25519PrivateKey) else "ecdsa-p256"
    pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    return {"algorithm": algorithm, "public_key_pem": pem}


def git(*args: str) -> str:
    """One git answer about the checkout ("" where git has none)."""
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
    return done.stdout.strip() if done.returncode == 0 else ""


def source_of(environ: Mapping[str, str]) -> dict[str, str]:
    """The source the build used: repository, revision, ref and whether the worktree matched the revision."""
    return {
        "repo": environ.get("RELEASE_SOURCE_REPO", SOURCE_REPO),
        "revision": environ.get("REVISION") or git("rev-parse", "HEAD"),
        "ref": environ.get("GITHUB_REF") or git("symbolic-ref", "-q", "HEAD"),
        "worktree": "modified" if git("status", "--porcelain", "--untracked-files=no") else "clean",
        "epoch": environ.get("SOURCE_DATE_EPOCH", ""),
    }


def main(argv: list[str] | None = None) -> int:
    """Write one image's signed provenance as a one-line .intoto.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True)
    parser.add_argument("--image", required=True, help="The image's name, e.g. trust-portal/portal-api.")
    parser.add_argument("--digest", required=True, help="The image's sha256:HEX digest.")
    parser.add_argument("--installed", type=Path, required=True, help="JSON: the distributions in the image.")
    parser.add_argument("--base-image", required=True)
    parser.add_argument("--base-digest", required=True)
    parser.add_argument("--lock", type=Path, default=ROOT / "uv.lock")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        source = source_of(os.environ)
        if source["worktree"] == "modified":
            print("provenance: the worktree differs from the revision it states", file=sys.stderr)
        body = statement(
            image=args.image,
            digest=args.digest,
            service=args.service,
            source=source,
            base={"image": args.base_image, "digest": args.base_digest},
            dependencies=locked(json.loads(args.installed.read_text()), args.lock.read_text()),
            builder_id=os.environ.get("RELEASE_BUILDER_ID", LOCAL_BUILDER),
            finished=datetime.now(UTC),
        )
        pem, key_id = release_key(os.environ)
        args.out.write_text(json.dumps(envelope(body, pem, key_id), separators=(",", ":")) + "\n")
    except (ReleaseError, OSError, json.JSONDecodeError) as exc:
        print(f"provenance: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
