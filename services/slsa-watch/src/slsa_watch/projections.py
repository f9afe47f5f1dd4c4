"""Pure folds of slsa-watch's read models: the SLSA map (one row per tenant and repository) and adoption."""

from __future__ import annotations

from schemas.provenance import ProvenanceVerdict, ProvenanceVerified, repo_key
from schemas.read_models import SlsaAdoption, SlsaRepoStatus


def row_key(verdict: ProvenanceVerdict) -> str:
    """The key of the row a verdict belongs to: one row per repository, however spelled."""
    return SlsaRepoStatus.key(verdict.tenantid, repo_key(verdict.data.repo))


def repo_status(current: SlsaRepoStatus | None, verdict: ProvenanceVerdict) -> SlsaRepoStatus | None:
    """The row after `verdict`, or None when it changes nothing (older than the row, or already applied).

    The level, checks, builder and artifact are those of the newest verified provenance; a rejection
    updates only the latest outcome and its reasons, so a failed release does not erase what the
    repository last proved. Folding is by verdict time, so redelivered or reordered verdicts change nothing.
    """
    if current is not None and (verdict.time <= current.updated_at or verdict.id == current.last_event_id):
        return None
    if isinstance(verdict, ProvenanceVerified):
        v = verdict.data
        return SlsaRepoStatus(
            tenant=verdict.tenantid,
            repo=repo_key(v.repo),
            build_level=v.build_level,
            hermetic=v.hermetic,
            pinned=v.dependencies_pinned,
            builder_id=v.builder_id,
            last_artifact_sha256=v.artifact_sha256,
            last_verified_at=v.verified_at,
            last_outcome="verified",
            updated_at=verdict.time,
            last_event_id=verdict.id,
        )
    base = current or SlsaRepoStatus(
        tenant=verdict.tenantid, repo=repo_key(verdict.data.repo), last_outcome="rejected", updated_at=verdict.time
    )
    return base.model_copy(
        update={
            "last_outcome": "rejected",
            "last_reasons": verdict.data.reasons,
            "updated_at": verdict.time,
            "last_event_id": verdict.id,
        }
    )


def adoption(rows: list[SlsaRepoStatus], target_l3: int) -> SlsaAdoption:
    """Adoption across every tenant's repositories: distinct repositories, however often or by whom submitted."""
    return SlsaAdoption(
        repos=len({repo_key(r.repo) for r in rows}),
        at_l3=len({repo_key(r.repo) for r in rows if r.at_l3}),
        target_l3=target_l3,
        by_level={str(level): sum(1 for r in rows if r.build_level == level) for level in range(4)},
        rejected_last=sum(1 for r in rows if r.last_outcome == "rejected"),
    )
