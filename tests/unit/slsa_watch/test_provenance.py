"""Reading in-toto Statements with SLSA provenance, on the slsa-verifier project's published files."""

from __future__ import annotations

import json

import pytest
from slsa_watch.dsse import parse
from slsa_watch.errors import ProvenanceError
from slsa_watch.provenance import read, source

from tests.unit.slsa_watch.vectors import BCR, BUNDLE, CERT_ENVELOPE


def payload_of(path) -> bytes:
    return parse(path.read_text()).payload


def test_statement_v01_with_provenance_v02():
    p = read(payload_of(BUNDLE))
    assert (p.statement_type, p.predicate_type) == (
        "https://in-toto.io/Statement/v0.1",
        "https://slsa.dev/provenance/v0.2",
    )
    assert p.builder_id.startswith("https://github.com/slsa-framework/slsa-github-generator/")
    assert (p.source_repo, p.source_ref) == ("github.com/slsa-framework/example-package", "refs/tags/v14")
    assert p.subject_with("376E7E01348585B6E6643BC6663146B9D525D9B41228BF180EAEB4D4A3706CAA") is not None
    assert p.subject_with("0" * 64) is None
    assert p.dependencies_pinned and not p.hermetic  # materials carry digests; completeness not claimed


def test_statement_v1_with_provenance_v1():
    p = read(payload_of(BCR))
    assert p.predicate_type == "https://slsa.dev/provenance/v1"
    assert (
        p.builder_id
        == "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1"
    )
    assert (p.source_repo, p.source_ref) == ("github.com/aspect-build/rules_lint", "refs/heads/publish-to-bcr")
    assert p.subject_with("06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b") is not None
    assert p.dependencies_pinned


def test_the_untrusted_builders_claim_is_read_for_the_policy_to_refuse():
    assert read(payload_of(CERT_ENVELOPE)).builder_id.startswith("https://github.com/asraa/slsa-github-generator/")


def test_an_unpinned_dependency_is_reported():
    statement = json.loads(payload_of(BCR))
    statement["predicate"]["buildDefinition"]["resolvedDependencies"].append({"uri": "https://example.com/tool"})
    assert not read(json.dumps(statement).encode()).dependencies_pinned


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ({"_type": "https://example.com/x"}, "is not an in-toto Statement"),
        ({"_type": "https://in-toto.io/Statement/v1", "subject": []}, "subject is not a non-empty list"),
        ({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a"}]}, r"subject\[0\].digest is missing"),
        (
            {"_type": "https://in-toto.io/Statement/v1", "subject": [{"digest": {"sha256": "ab"}}],
             "predicateType": "https://example.com/custom", "predicate": {}},
            "is not SLSA provenance",
        ),
    ],
)  # fmt: skip
def test_unreadable_statements_are_refused_naming_the_problem(statement, reason):
    with pytest.raises(ProvenanceError, match=reason):
        read(json.dumps(statement).encode())


def test_a_subject_list_of_100000_entries_is_refused_quickly():
    subjects = [{"name": str(i), "digest": {"sha256": "a" * 64}} for i in range(100_000)]
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": subjects}
    with pytest.raises(ProvenanceError, match="at most 10000"):
        read(json.dumps(statement).encode())


def test_source_uris():
    assert source("git+https://github.com/org/repo@refs/tags/v1") == ("github.com/org/repo", "refs/tags/v1")
    assert source("https://github.com/org/repo.git") == ("github.com/org/repo", "")
