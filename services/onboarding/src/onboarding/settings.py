"""Onboarding settings (env prefix ONBOARDING_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from service_kit.settings import ServiceSettings


class OnboardingSettings(ServiceSettings):
    """Everything the onboarding service and its CLI read from the environment."""

    model_config = SettingsConfigDict(env_prefix="ONBOARDING_", extra="ignore", frozen=True)

    service_name: str = "onboarding"
    group_id: str = Field(default="onboarding", description="Consumer group of the intake handler.")
    cohort_group_id: str = Field(default="onboarding-cohorts", description="Consumer group of the projection.")
    secrets_key: SecretStr | None = Field(
        default=None, description="Fernet key sealing webhook secrets at rest (required by the service)."
    )
    plans: frozenset[str] = frozenset({"starter", "standard", "enterprise"})
    webhook_allow_hosts: frozenset[str] = Field(
        default=frozenset(), description="Development hosts that may use http and private addresses."
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    webhook_backoff_s: float = Field(default=0.5, ge=0)
    webhook_backoff_max_s: float = Field(default=30.0, ge=0)
    webhook_retry_after_max_s: float = Field(default=60.0, ge=0)
    verify_concurrency: int = Field(default=32, ge=1, description="Webhook verifications in flight at once.")
    verify_lease_s: float = Field(
        default=30.0, gt=0, description="Claim on a verification, renewed while it runs; a crash frees it after this."
    )
    verify_sweep_s: float = Field(default=15.0, gt=0, description="How often to resume interrupted verifications.")
