"""The verdict on one submission: every check slsa-verifier makes, each failure named, and the SLSA level.

Pure: the submitted envelope, artifact digest and repository and the tenant's trust policy in; a
Verdict out. Nothing in the envelope is read before its signature verifies under the tenant's keys.
Levels follow SLSA v1 Build levels: L1 provenance exists, L2 signed by a hosted build platform the
tenant trusts, L3 that platform is trusted as hardened. Hermetic and pinned are the organisation's own
checks, reported beside the level and never raising it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property

from schemas.provenance import MAX_ENVELOPE_BYTES

from slsa_watch.dsse import TrustedKey, parse, verify
from slsa_watch.errors import EnvelopeError, ProvenanceError
from slsa_watch.provenance import Provenance, read, source

IN_TOTO = "application/vnd.in-toto+json"


def builder_parts(builder_id: str) -> tuple[str, tuple[str, ...], str] | None:
    """A builder id as (scheme and host, path segments, ref) — `<uri>[@<ref>]` as slsa-verifier reads it.

    None for an id no rule may match: `.` or `..` path segments (also percent-encoded), or more than one `@`.
    """
    name, at, ref = builder_id.partition("@")
    if "@" in ref or (at and not ref):
        return None
    scheme, sep, rest = name.partition("://")
    host, _, path = rest.partition("/") if sep else ("", "", name)
    segments = tuple(path.split("/")) if path else ()
    if any(seg.replace("%2e", ".").replace("%2E", ".") in {".", ".."} for seg in segments):
        return None
    return f"{scheme}{sep}{host}", segments, ref


def segments_under(prefix: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    """Whether `segments` start with `prefix` segment by segment (a trailing `/` in a rule ends its last one)."""
    if prefix and prefix[-1] == "":
        prefix = prefix[:-1]
    return segments[: len(prefix)] == prefix


@dataclass(frozen=True)
class BuilderRule:
    """A builder id the tenant trusts: exactly, or as a prefix where the policy says so.

    A prefix matches on whole path segments, and its `@ref` (if it names one) matches the builder's
    ref exactly or as whole ref segments: `…/generator.yml@refs/tags/v1` never matches `…@refs/tags/v1evil`,
    and `https://github.com/org/` never matches `https://github.com/organisation/…`.
    """

    id: str
    prefix: bool = False
    hardened: bool = False

    def matches(self, builder_id: str) -> bool:
        """Whether `builder_id` is this trusted builder."""
        candidate, rule = builder_parts(builder_id), builder_parts(self.id)
        if candidate is None or rule is None:
            return False
        if not self.prefix:
            return builder_id == self.id
        (origin, path, ref), (rule_origin, rule_path, rule_ref) = candidate, rule
        if origin != rule_origin or not segments_under(rule_path, path):
            return False
        if rule_ref:
            return path == rule_path and segments_under(tuple(rule_ref.split("/")), tuple(ref.split("/")))
        return True


@dataclass(frozen=True)
class TrustPolicy:
    """A tenant's trust policy as the verifier uses it."""

    keys: tuple[TrustedKey, ...]
    builders: tuple[BuilderRule, ...]
    source_repositories: tuple[str, ...]
    policy_id: str = ""
    source_refs: tuple[str, ...] = ()

    @cached_property
    def expected_sources(self) -> frozenset[str]:
        """The expected source repositories in the form compared (computed once per policy)."""
        return frozenset(repo_name(r) for r in self.source_repositories)


@dataclass(frozen=True)
class Verdict:
    """Verified only when every check passed; `failed` names each check that did not."""

    failed: tuple[str, ...]
    build_level: int
    hermetic: bool = False
    pinned: bool = False
    provenance: Provenance | None = None
    signed_by: str = ""

    @property
    def verified(self) -> bool:
        """No check failed."""
        return not self.failed


def repo_name(uri: str) -> str:
    """A repository in the one form we compare: host/owner/name, lower case."""
    return source(uri)[0].lower()


def judge(envelope: str | bytes, artifact_sha256: str, repo: str, policy: TrustPolicy) -> Verdict:
    """Check one submission against the tenant's policy."""
    size = len(envelope.encode() if isinstance(envelope, str) else envelope)
    if size > MAX_ENVELOPE_BYTES:
        return Verdict((f"envelope: {size:,} bytes, over the limit of {MAX_ENVELOPE_BYTES:,}",), build_level=0)
    try:
        parsed = parse(envelope)
    except EnvelopeError as exc:
        return Verdict((f"envelope: {exc}",), build_level=0)
    try:
        signed = verify(parsed, list(policy.keys))
    except EnvelopeError as exc:  # nothing below is trusted: stop here
        return Verdict((f"signature: {exc}",), build_level=0)
    if signed.payload_type != IN_TOTO:
        return Verdict((f"payload type: {signed.payload_type!r} is not {IN_TOTO}",), build_level=0)
    try:
        claim = read(signed.payload)
    except ProvenanceError as exc:
        return Verdict((f"provenance: {exc}",), build_level=0)

    failed = []
    if claim.subject_with(artifact_sha256) is None:
        failed.append(f"subject: no subject has sha256 {artifact_sha256}")
    rule = next((r for r in policy.builders if r.matches(claim.builder_id)), None)
    if rule is None:
        failed.append(f"builder: {claim.builder_id or '(none)'} is not a builder the tenant trusts")
    if repo_name(claim.source_repo) not in policy.expected_sources:
        failed.append(f"source: {claim.source_repo or '(none)'} is not an expected source repository")
    if policy.source_refs and not any(fnmatchcase(claim.source_ref, p) for p in policy.source_refs):
        expected_refs = ", ".join(policy.source_refs)
        failed.append(f"source: ref {claim.source_ref or '(none)'} is not one the policy expects ({expected_refs})")
    if repo_name(claim.source_repo) != repo_name(repo):
        failed.append(f"source: the provenance names {claim.source_repo or '(none)'}, the submission {repo}")
    level = 1 if rule is None else 3 if rule.hardened else 2
    return Verdict(
        failed=tuple(failed),
        build_level=level,
        hermetic=claim.hermetic,
        pinned=claim.dependencies_pinned,
        provenance=claim,
        signed_by=signed.signed_by,
    )
