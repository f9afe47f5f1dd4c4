"""in-toto Statements (v0.1, v1) carrying SLSA provenance (v0.2, v1), read into the facts we check.

Pure: a verified payload in, a Provenance or a ProvenanceError naming the problem out. Call it only
on a payload whose signature verified (dsse.verify).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slsa_watch.dsse import json_object
from slsa_watch.errors import ProvenanceError

STATEMENTS = ("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1")
PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
MAX_SUBJECTS = 10_000
GIT_URI = re.compile(r"^(?:git\+)?(?:https?://)?(?P<repo>[^@]+?)(?:\.git)?(?:@(?P<ref>.+))?$")


@dataclass(frozen=True)
class Subject:
    """An artifact the statement is about: its name and digests by algorithm."""

    name: str
    digest: dict[str, str]


@dataclass(frozen=True)
class Provenance:
    """What a provenance statement claims (trusted only as far as its signature was)."""

    statement_type: str
    predicate_type: str
    subjects: tuple[Subject, ...]
    builder_id: str
    build_type: str
    source_repo: str
    source_ref: str
    dependencies: tuple[tuple[str, dict[str, str]], ...]
    hermetic: bool

    @property
    def dependencies_pinned(self) -> bool:
        """The organisation's check: resolved dependencies exist and each carries a pinning digest.

        Every algorithm of each digest must be a known one and every value well formed: an empty or
        decoy digest pins nothing.
        """
        return bool(self.dependencies) and all(pinned(digest) for _, digest in self.dependencies)

    def subject_with(self, sha256: str) -> Subject | None:
        """The subject whose sha256 is `sha256`, if any."""
        return next((s for s in self.subjects if s.digest.get("sha256", "").lower() == sha256.lower()), None)


DIGEST_HEX_LENGTHS = {
    "sha1": (40,), "sha256": (64,), "sha384": (96,), "sha512": (128,), "sha512_224": (56,), "sha512_256": (64,),
    "sha3_224": (56,), "sha3_256": (64,), "sha3_384": (96,), "sha3_512": (128,), "blake2b": (128,),
    "blake2s": (64,), "gitCommit": (40, 64), "gitTree": (40, 64), "gitBlob": (40, 64), "gitTag": (40, 64),
}  # fmt: skip
"""The in-toto DigestSet algorithms that pin, with their hex lengths: sha1 stays (SLSA v0.2 provenance names git
commits by it, and a git commit id is one); md5 pins nothing and is not among them."""
HEX = re.compile(r"^[0-9a-fA-F]+$")


def pinned(digest: dict[str, str]) -> bool:
    """Whether a DigestSet pins what it names: non-empty, every algorithm known, every value its hex length."""
    return bool(digest) and all(
        algorithm in DIGEST_HEX_LENGTHS and len(value) in DIGEST_HEX_LENGTHS[algorithm] and HEX.match(value) is not None
        for algorithm, value in digest.items()
    )


def source(uri: str) -> tuple[str, str]:
    """`git+https://github.com/org/repo@refs/tags/v1` -> ("github.com/org/repo", "refs/tags/v1")."""
    match = GIT_URI.match(uri.strip())
    if not match:
        return "", ""
    return match.group("repo").rstrip("/"), match.group("ref") or ""


def field(data: Any, *path: str) -> Any:
    """data[path[0]][path[1]]..., or None where something is missing or not an object."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def digests(entries: Any, where: str) -> tuple[tuple[str, dict[str, str]], ...]:
    """(uri, digest) of each material / resolved dependency."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ProvenanceError(f"{where} is not a list")
    found = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ProvenanceError(f"{where}[{i}] is not an object")
        digest = entry.get("digest") or {}
        found.append((str(entry.get("uri") or entry.get("name") or ""), {str(k): str(v) for k, v in digest.items()}))
    return tuple(found)


def read(payload: bytes) -> Provenance:
    """The provenance a verified in-toto payload claims."""
    statement = json_object(payload, ProvenanceError, "the payload")
    kind = statement.get("_type")
    if kind not in STATEMENTS:
        raise ProvenanceError(f"_type {kind!r} is not an in-toto Statement v0.1 or v1")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise ProvenanceError("subject is not a non-empty list")
    if len(subjects) > MAX_SUBJECTS:
        raise ProvenanceError(f"subject lists {len(subjects)} entries; at most {MAX_SUBJECTS} are read")
    parsed = []
    for i, entry in enumerate(subjects):
        digest = field(entry, "digest")
        if not isinstance(digest, dict) or not digest:
            raise ProvenanceError(f"subject[{i}].digest is missing")
        parsed.append(Subject(name=str(field(entry, "name") or ""), digest={str(k): str(v) for k, v in digest.items()}))
    predicate_type = statement.get("predicateType")
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        raise ProvenanceError("predicate is not an object")
    if predicate_type == PROVENANCE_V02:
        repo, ref = source(str(field(predicate, "invocation", "configSource", "uri") or ""))
        return Provenance(
            statement_type=kind,
            predicate_type=predicate_type,
            subjects=tuple(parsed),
            builder_id=str(field(predicate, "builder", "id") or ""),
            build_type=str(predicate.get("buildType") or ""),
            source_repo=repo,
            source_ref=ref,
            dependencies=digests(predicate.get("materials"), "predicate.materials"),
            hermetic=field(predicate, "metadata", "completeness", "materials") is True
            and field(predicate, "metadata", "completeness", "environment") is True,
        )
    if predicate_type == PROVENANCE_V1:
        workflow = field(predicate, "buildDefinition", "externalParameters", "workflow") or {}
        resolved = digests(field(predicate, "buildDefinition", "resolvedDependencies"), "resolvedDependencies")
        repo, ref = source(str(field(workflow, "repository") or ""))
        if not repo and resolved:
            repo, ref = source(resolved[0][0])
        return Provenance(
            statement_type=kind,
            predicate_type=predicate_type,
            subjects=tuple(parsed),
            builder_id=str(field(predicate, "runDetails", "builder", "id") or ""),
            build_type=str(field(predicate, "buildDefinition", "buildType") or ""),
            source_repo=repo,
            source_ref=str(field(workflow, "ref") or ref),
            dependencies=resolved,
            hermetic=field(predicate, "buildDefinition", "internalParameters", "hermetic") is True,
        )
    raise ProvenanceError(f"predicateType {predicate_type!r} is not SLSA provenance v0.2 or v1")
