"""The platform's facts the board pack reports on, kept small: one Fact per event that matters (pure).

tenant.events.v1 (provisioned, onboarded, rejected), provenance.events.v1 (verified, rejected),
evidence.events.v1 (packs built, with their ledger index; digests anchored, the board pack's own) and
policy.events.v1 (bundles published).
Any other event on those topics is not a fact for the board and is skipped; a record that is not a
CloudEvent at all raises, so the consumer sends it alone to the dead-letter topic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from schemas.envelope import CloudEvent, Contract
from schemas.evidence import Anchored, PackBuilt
from schemas.policy import PolicyBundlePublished
from schemas.provenance import ProvenanceRejected, ProvenanceVerified
from schemas.tenant import TenantOnboarded, TenantProvisioned, TenantRejected

Kind = Literal[
    "tenant-provisioned", "tenant-onboarded", "tenant-rejected", "release-verified", "release-rejected",
    "pack-built", "bundle-published", "anchored",
]  # fmt: skip


class Fact(Contract):
    """What the board keeps of one event (the board_facts document, key: the event id)."""

    id: str
    kind: Kind
    tenant: str
    at: datetime
    data: dict[str, Any]


def _pick(model: BaseModel, *names: str) -> dict[str, Any]:
    dumped = model.model_dump(mode="json")
    return {name: dumped[name] for name in names}


def _tenant(event: CloudEvent) -> tuple[Kind, datetime, dict[str, Any]] | None:
    if isinstance(event, TenantProvisioned):
        return "tenant-provisioned", event.data.provisioned_at, _pick(event.data, "slug", "display_name", "plan",
                                                                       "cohort")  # fmt: skip
    if isinstance(event, TenantOnboarded):
        return "tenant-onboarded", event.data.onboarded_at, _pick(event.data, "slug", "cohort",
                                                                   "time_to_first_verify_s")  # fmt: skip
    if isinstance(event, TenantRejected):
        return "tenant-rejected", event.data.rejected_at, _pick(event.data, "slug", "cohort")
    return None


def _other(event: CloudEvent) -> tuple[Kind, datetime, dict[str, Any]] | None:
    if isinstance(event, ProvenanceVerified):
        return (
            "release-verified",
            event.data.verified_at,
            _pick(
                event.data, "repo", "artifact_name", "artifact_sha256", "build_level", "hermetic", "dependencies_pinned"
            ),
        )
    if isinstance(event, ProvenanceRejected):
        return "release-rejected", event.data.rejected_at, _pick(event.data, "repo", "artifact_sha256", "build_level")
    if isinstance(event, PackBuilt):
        return (
            "pack-built",
            event.data.built_at,
            _pick(
                event.data,
                "pack_id",
                "period",
                "sha256",
                "ledger_index",
                "tree_size",
                "root_hash",
                "tree_head",
                "inclusion_proof",
            ),
        )
    if isinstance(event, Anchored):
        return (
            "anchored",
            event.data.anchored_at,
            _pick(event.data, "anchor_id", "kind", "subject", "sha256", "ledger_index", "inclusion_proof", "tree_head"),
        )
    if isinstance(event, PolicyBundlePublished):
        return "bundle-published", event.data.published_at, _pick(event.data, "bundle", "version", "sha256")
    return None


MODELS: dict[str, type[CloudEvent]] = {
    m.TYPE: m
    for m in (TenantProvisioned, TenantOnboarded, TenantRejected, ProvenanceVerified, ProvenanceRejected, PackBuilt,
              PolicyBundlePublished, Anchored)
}  # fmt: skip


def fact_of(raw: bytes) -> Fact | None:
    """The board's fact in an event's bytes, or None when the event is not one the board reports on.

    Raises pydantic's ValidationError for anything that is not a CloudEvent of its declared type.
    """
    envelope = CloudEvent.model_validate_json(raw)
    model = MODELS.get(envelope.type)
    if model is None:
        return None
    event = model.model_validate_json(raw)
    found = _tenant(event) or _other(event)
    if found is None:
        return None
    kind, at, data = found
    return Fact(id=event.id, kind=kind, tenant=event.tenantid, at=at, data=data)
