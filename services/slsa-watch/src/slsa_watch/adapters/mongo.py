"""MongoDB for slsa-watch: the names of the collections it owns (ProjectionStore does the mapping)."""

from __future__ import annotations

POLICIES = "slsa_policies"
"""Each tenant's trust policy in force (key: tenant)."""
REPOS = "slsa_repos"
"""The SLSA map: one row per tenant and repository (key: `<tenant>/<repo>`); the portal reads it, read only."""
RUNNER_JOBS = "runner_jobs"
"""Hermetic runner jobs still counted by a pool snapshot (key: job id)."""
RUNNER_POOLS = "runner_pools"
"""Each runner pool's latest snapshot (key: pool)."""
