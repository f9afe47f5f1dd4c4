"""Offline verification of an evidence pack: every item, the manifest, the signature, the ledger.

Pure: bytes and documents in, a report out. Each check is named and says exactly what failed; all
checks run (one failure does not hide another), and the pack verifies only when every one passed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from transparency.canonical import canonical
from transparency.log import LOG_ID, inclusion_problem, verify_head
from transparency.merkle import verify_consistency

from evidence.pack import MANIFEST, PREDICATE_TYPE, ledger_entry, read_archive
from evidence.signing import open_envelope


@dataclass(frozen=True)
class Expected:
    """What the auditor asked for: a pack of this tenant and period, with this id (each optional)."""

    tenant: str | None = None
    period: str | None = None
    pack_id: str | None = None


@dataclass
class Report:
    """Checks run, in order: (name, passed, detail); and whose pack it is, as signed (or as its manifest says)."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    identity: dict[str, str] = field(default_factory=dict)
    identity_signed: bool = False

    def check(self, name: str, passed: bool, detail: str) -> bool:
        """Record one check."""
        self.checks.append((name, passed, detail))
        return passed

    @property
    def failed(self) -> list[tuple[str, str]]:
        """The failed checks."""
        return [(name, detail) for name, ok, detail in self.checks if not ok]

    @property
    def ok(self) -> bool:
        """Every check passed (and at least one ran)."""
        return bool(self.checks) and not self.failed


IDENTITY = ("tenant", "period", "pack_id")
FILE_NAME = re.compile(r"^evidence-([A-Za-z0-9-]{1,64})\.tar$")


def verify_pack(
    archive: bytes,
    public: ed25519.Ed25519PublicKey,
    envelope: dict[str, Any] | None = None,
    proof: dict[str, Any] | None = None,
    tree_head: dict[str, Any] | None = None,
    *,
    file_name: str | None = None,
    expected: Expected | None = None,
) -> Report:
    """Check a pack; the signature, proof and tree head are checked when given.

    The pack is also bound to what was asked for: the id in its file name (`evidence-<id>.tar`) and
    any `expected` tenant, period and id must be those the signed statement (and the manifest) name,
    so another tenant's genuine pack saved under the requested name does not verify.
    """
    report = Report()
    digest = hashlib.sha256(archive).hexdigest()
    manifest = check_items(archive, report)
    statement = check_signature(envelope, public, digest, manifest, report) if envelope is not None else None
    if tree_head is not None:
        check_tree_head(tree_head, public, report)
    if proof is not None:
        check_inclusion(proof, digest, manifest, tree_head, report)
    check_identity(manifest, statement, file_name, expected or Expected(), report)
    return report


def check_identity(
    manifest: dict[str, Any] | None,
    statement: dict[str, Any] | None,
    file_name: str | None,
    expected: Expected,
    report: Report,
) -> None:
    """Whose pack this is (the signed statement's word over the manifest's) and whether it is the one asked for."""
    signed = statement.get("predicate", {}) if statement is not None else {}
    listed = manifest or {}
    if statement is not None and manifest is not None:
        differ = [k for k in IDENTITY if signed.get(k) != listed.get(k)]
        report.check("statement identity", not differ,
                     "the signed statement and the manifest name different " + ", ".join(differ))  # fmt: skip
    source = signed if statement is not None else listed
    report.identity = {k: str(source.get(k, "")) for k in IDENTITY}
    report.identity_signed = statement is not None
    if file_name is not None:
        named, found = FILE_NAME.match(file_name), report.identity["pack_id"]
        report.check("file name", named is not None and named.group(1) == found,
                     f"the file is named {file_name!r}, the pack inside is {found or '(unnamed)'}")  # fmt: skip
    for key in IDENTITY:
        wanted = getattr(expected, key)
        if wanted is not None:
            found = report.identity[key]
            report.check(
                f"expected {key.replace('_', ' ')}", found == wanted, f"asked for {wanted}, the pack is {found}"
            )


def check_items(archive: bytes, report: Report) -> dict[str, Any] | None:
    """The archive reads, the manifest parses, and every item matches it (no more, no fewer)."""
    try:
        files = read_archive(archive)
    except ValueError as exc:
        report.check("archive", False, str(exc))
        return None
    report.check("archive", True, f"{len(files)} files")
    try:
        manifest: dict[str, Any] = json.loads(files[MANIFEST])
        items = manifest["items"]
    except (KeyError, TypeError, ValueError) as exc:
        report.check("manifest", False, f"{MANIFEST} is missing or unreadable ({type(exc).__name__}: {exc})")
        return None
    report.check("manifest", canonical(manifest) == files[MANIFEST], f"{MANIFEST} is not in canonical form")
    listed = set()
    for entry in items:
        path = entry.get("path", "")
        listed.add(path)
        data = files.get(path)
        if data is None:
            report.check(f"item {path}", False, "listed in the manifest, missing from the pack")
        elif len(data) != entry.get("size"):
            report.check(f"item {path}", False, f"size {len(data)}, the manifest says {entry.get('size')}")
        elif hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            report.check(
                f"item {path}",
                False,
                f"sha256 {hashlib.sha256(data).hexdigest()}, the manifest says {entry.get('sha256')}",
            )
    for path in sorted(set(files) - listed - {MANIFEST}):
        report.check(f"item {path}", False, "in the pack, not listed in the manifest")
    report.check("items", all(ok for name, ok, _ in report.checks if name.startswith("item ")),
                 f"{len(items)} items against the manifest")  # fmt: skip
    return manifest


def check_signature(
    envelope: dict[str, Any],
    public: ed25519.Ed25519PublicKey,
    digest: str,
    manifest: dict[str, Any] | None,
    report: Report,
) -> dict[str, Any] | None:
    """The DSSE envelope verifies under the platform key, over this pack's digest and manifest; the statement."""
    try:
        statement = open_envelope(envelope, public)
    except ValueError as exc:
        report.check("signature", False, str(exc))
        return None
    report.check("signature", True, "the platform key signed the statement")
    subjects = [s.get("digest", {}).get("sha256") for s in statement.get("subject", [])]
    report.check("statement subject", digest in subjects, f"signed digests {subjects}, the pack is {digest}")
    predicate = statement.get("predicate", {})
    report.check(
        "statement type",
        statement.get("predicateType") == PREDICATE_TYPE,
        f"predicate {statement.get('predicateType')!r}",
    )
    if manifest is not None:
        manifest_digest = hashlib.sha256(canonical(manifest)).hexdigest()
        signed = predicate.get("manifest_sha256")
        report.check(
            "statement manifest",
            signed == manifest_digest,
            f"signed manifest {signed}, the pack's is {manifest_digest}",
        )
    return statement


def check_tree_head(head: dict[str, Any], public: ed25519.Ed25519PublicKey, report: Report) -> None:
    """The tree head is this ledger's and the platform key signed it."""
    ours = head.get("log_id") == LOG_ID
    report.check(
        "tree head",
        verify_head(head, public),
        f"tree head of size {head.get('tree_size')}: "
        + ("its signature does not verify under the platform key" if ours else f"log {head.get('log_id')!r}"),
    )


def check_inclusion(
    proof: dict[str, Any], digest: str, manifest: dict[str, Any] | None, head: dict[str, Any] | None, report: Report
) -> None:
    """The proof's entry is this pack, and its path leads to the tree head's root."""
    entry = proof.get("entry", {})
    if manifest is not None:
        expected = ledger_entry(str(manifest.get("pack_id")), str(manifest.get("tenant")), digest)
        report.check("ledger entry", entry == expected, f"the proof's entry {entry} is not this pack's {expected}")
    if head is None:
        report.check("inclusion", False, "no tree head to check the proof against (--tree-head)")
        return
    problem = inclusion_problem(proof, head)
    report.check("inclusion", problem is None, problem or "")


def check_consistency(old: dict[str, Any], new: dict[str, Any], proof: dict[str, Any]) -> bool:
    """Whether the newer tree head extends the older one (the ledger was only appended to)."""
    try:
        return verify_consistency(
            int(old["tree_size"]), int(new["tree_size"]), bytes.fromhex(old["root_hash"]),
            bytes.fromhex(new["root_hash"]), [bytes.fromhex(h) for h in proof["hashes"]],
        )  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return False
