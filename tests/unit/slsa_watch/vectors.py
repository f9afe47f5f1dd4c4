"""Paths of the slsa-verifier project's published provenance files, vendored with their licence (tests/vectors)."""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[2] / "vectors/slsa-verifier"
VSA = VECTORS / "vsa/gke-gce-pre.bcid-vsa.jsonl"
VSA_KEY = VECTORS / "vsa/vsa_signing_public_key.pem"
BUNDLE = VECTORS / "gha_generic/binary-linux-amd64-push-v14.intoto.jsonl"
CERT_ENVELOPE = VECTORS / "gha_generic/binary-linux-amd64-untrusted-builder.intoto.jsonl"
BCR = VECTORS / "bcr/MODULE.bazel.intoto.jsonl"
