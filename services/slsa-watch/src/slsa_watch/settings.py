"""SLSA watch settings (env prefix SLSA_WATCH_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from service_kit.settings import ServiceSettings


class SlsaWatchSettings(ServiceSettings):
    """Everything the SLSA watch service and its CLI read from the environment."""

    model_config = SettingsConfigDict(env_prefix="SLSA_WATCH_", extra="ignore", frozen=True)

    service_name: str = "slsa-watch"
    role: Literal["all", "verifier", "projector"] = Field(
        default="all",
        description="verifier: submissions to verdicts (scale out); projector: the SLSA map and runner "
        "telemetry (exactly one replica: pool figures need every event of a pool); all: both (dev, tests).",
    )
    group_id: str = Field(default="slsa-watch", description="Consumer group of the verifier.")
    policy_group_id: str = Field(default="slsa-watch-policies", description="Consumer group keeping trust policies.")
    map_group_id: str = Field(default="slsa-watch-map", description="Consumer group folding verdicts into the map.")
    runner_group_id: str = Field(default="slsa-watch-runners", description="Consumer group of runner telemetry.")
    batch_max_records: int = Field(default=500, ge=1, le=10_000, description="Submissions verified per fetch.")
    policy_cache_s: float = Field(default=2.0, ge=0, description="How long a replica trusts its copy of a policy.")
    target_l3_repos: int = Field(default=8, ge=0, description="Organisation's adoption target: repos at Build L3.")
    runner_pools: dict[str, int] = Field(
        default={"hermetic-linux": 8}, description="Runners per hermetic pool (JSON object), for utilisation."
    )
    runner_wait_bound_s: float = Field(default=300.0, gt=0, description="Saturation: wait p95 above this, per pool.")
    runner_window_s: float = Field(default=900.0, gt=0, description="Window of the wait and utilisation figures.")
    runner_tick_s: float = Field(default=15.0, gt=0, description="How often pool figures refresh between events.")
