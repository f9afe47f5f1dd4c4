"""Deterministic evidence packs: the same evidence gives a byte-identical archive.

Pure. A pack is a POSIX ustar archive of `items/<kind>/<event id>.json` (each event as canonical JSON)
and `manifest.json` listing every item with its sha256, size and the event it came from; entries
sorted by path, with fixed timestamps, owners and permissions. The platform signs an in-toto
Statement over the archive's sha256 (the pack digest); the ledger records the pack by its digest.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from transparency.canonical import canonical

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "https://trustportal.example/evidence/manifest/v1"
PREDICATE_TYPE = "https://trustportal.example/evidence/pack/v1"
FIXED_MTIME = 0
PACK_NAMESPACE = uuid.UUID("8f8d7a0e-5d0b-4c1e-9a57-3c1f0c2b7e11")


@dataclass(frozen=True)
class Item:
    """One piece of evidence: an event the platform saw."""

    kind: str
    event_id: str
    event_type: str
    body: dict[str, Any]

    @property
    def path(self) -> str:
        """Its path in the archive."""
        return f"items/{self.kind}/{self.event_id}.json"

    @property
    def data(self) -> bytes:
        """Its bytes in the archive."""
        return canonical(self.body)


@dataclass(frozen=True)
class Pack:
    """A built pack: the archive's bytes, its manifest and their digests."""

    pack_id: str
    tenant: str
    period: str
    archive: bytes
    manifest: dict[str, Any]

    @property
    def sha256(self) -> str:
        """The pack digest."""
        return hashlib.sha256(self.archive).hexdigest()

    @property
    def manifest_sha256(self) -> str:
        """The manifest's digest (of its bytes in the archive)."""
        return hashlib.sha256(canonical(self.manifest)).hexdigest()

    @property
    def item_count(self) -> int:
        """Items in the pack."""
        return len(self.manifest["items"])

    def statement(self) -> dict[str, Any]:
        """The in-toto Statement v1 over the pack digest, for the platform to sign."""
        return {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": archive_name(self.pack_id), "digest": {"sha256": self.sha256}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": {
                "pack_id": self.pack_id,
                "tenant": self.tenant,
                "period": self.period,
                "item_count": self.item_count,
                "manifest_sha256": self.manifest_sha256,
            },
        }

    def ledger_entry(self) -> dict[str, str]:
        """What the ledger records for this pack (its leaf is the canonical JSON of this)."""
        return ledger_entry(self.pack_id, self.tenant, self.sha256)


def ledger_entry(pack_id: str, tenant: str, sha256: str, kind: str = "evidence-pack") -> dict[str, str]:
    """A ledger entry: what was recorded, whose, and its digest."""
    return {"kind": kind, "subject": pack_id, "tenant": tenant, "sha256": sha256}


def archive_name(pack_id: str) -> str:
    """The file name packs are downloaded under."""
    return f"evidence-{pack_id}.tar"


def build(tenant: str, period: str, items: Iterable[Item]) -> Pack:
    """The pack of `items` (duplicates by path kept once); deterministic in its inputs."""
    unique = {item.path: item for item in items}
    ordered = [unique[path] for path in sorted(unique)]
    listed = [
        {
            "path": item.path,
            "sha256": hashlib.sha256(item.data).hexdigest(),
            "size": len(item.data),
            "event_id": item.event_id,
            "event_type": item.event_type,
            "kind": item.kind,
        }
        for item in ordered
    ]
    content = hashlib.sha256(canonical([(e["path"], e["sha256"]) for e in listed])).hexdigest()
    pack_id = str(uuid.uuid5(PACK_NAMESPACE, f"{tenant}/{period}/{content}"))
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "pack_id": pack_id,
        "tenant": tenant,
        "period": period,
        "item_count": len(listed),
        "items": listed,
    }
    files = {item.path: item.data for item in ordered}
    files[MANIFEST] = canonical(manifest)
    return Pack(pack_id, tenant, period, write_archive(files), manifest)


def write_archive(files: dict[str, bytes]) -> bytes:
    """A ustar archive of `files`, sorted by path, with fixed metadata."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size = len(files[path])
            info.mtime = FIXED_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[path]))
    return out.getvalue()


def read_archive(archive: bytes) -> dict[str, bytes]:
    """Every file of an archive by path; ValueError when it is not a readable archive of regular files.

    Hostile archives cost little: only regular members (no sparse, link, device or directory entries),
    and a member's declared size, like the sum of all of them, cannot exceed the archive's own length
    (in ustar a member's data is inside the archive), so a tiny archive declaring a huge member is
    refused from its header, before anything is read.
    """
    budget = len(archive)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            files: dict[str, bytes] = {}
            total = 0
            for member in tar:
                if not member.isreg() or member.issparse():
                    raise ValueError(f"{member.name}: not a regular file")
                total += member.size
                if member.size > budget or total > budget:
                    raise ValueError(f"{member.name}: declares {member.size:,} bytes, more than the archive holds")
                if member.name in files:
                    raise ValueError(f"{member.name}: in the archive twice")
                extracted = tar.extractfile(member)
                assert extracted is not None
                data = extracted.read()
                if len(data) != member.size:
                    raise ValueError(f"{member.name}: {len(data):,} of {member.size:,} bytes present")
                files[member.name] = data
            return files
    except tarfile.TarError as exc:
        raise ValueError(f"not a readable tar archive ({exc})") from None
