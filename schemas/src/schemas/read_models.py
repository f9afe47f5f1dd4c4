"""Read models other services may read (read-only) through the typed classes here."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from schemas.envelope import Contract, UtcDatetime


class TenantState(StrEnum):
    """Where a tenant is in onboarding; the last three are final."""

    PROVISIONED = "provisioned"
    ONBOARDED = "onboarded"
    VERIFICATION_FAILED = "verification_failed"
    REJECTED = "rejected"

    @property
    def rank(self) -> int:
        """Order of precedence: a tenant's state is its highest-ranked fact.

        A rejection ranks lowest, so a conflicting request never hides an existing tenant and a
        corrected request after a rejection wins; a final state outranks provisioning.
        """
        return {"rejected": 0, "provisioned": 1, "verification_failed": 2, "onboarded": 3}[self.value]


class TenantView(Contract):
    """One tenant as onboarding sees it (collection `onboarding_tenants`, key: slug)."""

    slug: str
    display_name: str = ""
    contact_email: str = ""
    plan: str = ""
    cohort: str
    webhook_url: str = ""
    state: TenantState
    request_id: str
    requested_at: UtcDatetime
    provisioned_at: UtcDatetime | None = None
    verified_at: UtcDatetime | None = None
    attempts: int = 0
    last_status_code: int | None = None
    failure_reason: str | None = None
    time_to_first_verify_s: float | None = None
    problems: tuple[str, ...] = ()


class CohortMember(Contract):
    """One fact about a tenant's place in its cohort (collection `onboarding_cohorts`).

    Keyed by the id of the event it came from: the projection only ever inserts, so applying an
    event twice is a duplicate key that changes nothing, and no write rewrites a growing document.
    A cohort's view is onboarding's fold of its members (onboarding.projections.cohort_view), each
    tenant at its highest-ranked state.
    """

    event_id: str
    cohort: str
    slug: str
    state: TenantState
    ttfv_s: float | None = None
    reason: str | None = None
    at: UtcDatetime


class CohortView(Contract):
    """Onboarding metrics of one cohort, folded from its members by onboarding (projections.cohort_view)."""

    cohort: str
    states: dict[str, TenantState] = Field(default_factory=dict, description="slug -> latest state")
    ttfv_s: dict[str, float] = Field(default_factory=dict, description="slug -> time-to-first-verify")
    reasons: dict[str, str] = Field(default_factory=dict, description="slug -> why it failed")
    updated_at: UtcDatetime | None = None

    @property
    def requested(self) -> int:
        """Tenants the cohort has heard of (provisioned or rejected)."""
        return len(self.states)

    def count(self, *states: TenantState) -> int:
        """How many tenants are in any of `states`."""
        return sum(1 for s in self.states.values() if s in states)

    @property
    def provisioned(self) -> int:
        """Tenants provisioned, whatever happened to their webhook since."""
        return self.count(TenantState.PROVISIONED, TenantState.ONBOARDED, TenantState.VERIFICATION_FAILED)

    @property
    def verified(self) -> int:
        """Tenants whose webhook was verified (onboarded)."""
        return self.count(TenantState.ONBOARDED)

    @property
    def failed(self) -> int:
        """Tenants rejected or whose webhook failed verification."""
        return self.count(TenantState.REJECTED, TenantState.VERIFICATION_FAILED)

    @property
    def pending(self) -> int:
        """Tenants provisioned whose verification has not ended yet."""
        return self.count(TenantState.PROVISIONED)

    @property
    def failure_rate(self) -> float:
        """Failed over requested; 0 for an empty cohort."""
        return self.failed / self.requested if self.requested else 0.0


class SlsaRepoStatus(Contract):
    """One repository's row of a tenant's SLSA map, folded from its verdicts by slsa-watch (key: `<tenant>/<repo>`).

    The level, checks, builder and artifact are those of the newest verified provenance; the latest
    outcome (verified or rejected, with the reasons) is shown beside them, so a failed release is
    visible without erasing what the repository last proved. Folding is by verdict time, so
    redelivered or reordered verdicts change nothing.
    """

    tenant: str
    repo: str
    build_level: int = Field(
        default=0, ge=0, le=3, description="SLSA Build level of the newest verified provenance (0: none)."
    )
    hermetic: bool = False
    pinned: bool = False
    builder_id: str = ""
    last_artifact_sha256: str = ""
    last_verified_at: UtcDatetime | None = None
    last_outcome: Literal["verified", "rejected"]
    last_reasons: tuple[str, ...] = ()
    updated_at: UtcDatetime
    last_event_id: str = ""

    @staticmethod
    def key(tenant: str, repo: str) -> str:
        """The document key of a tenant's repository."""
        return f"{tenant}/{repo}"

    @property
    def verified_level(self) -> int:
        """The Build level the repository last verified at; 0 when it never verified."""
        return self.build_level if self.last_verified_at is not None else 0

    @property
    def at_l3(self) -> bool:
        """Counts towards L3 adoption: the newest provenance verified, at Build L3."""
        return self.last_outcome == "verified" and self.build_level == 3


class SlsaAdoption(Contract):
    """Organisation-wide SLSA adoption: repositories at Build L3 against the target (folded by slsa-watch)."""

    repos: int
    at_l3: int
    target_l3: int
    by_level: dict[str, int] = Field(description="Newest verified level -> repositories ('0': none verified yet).")
    rejected_last: int = Field(description="Repositories whose latest submission was rejected.")

    @property
    def met(self) -> bool:
        """At least the target number of repositories at L3."""
        return self.at_l3 >= self.target_l3
