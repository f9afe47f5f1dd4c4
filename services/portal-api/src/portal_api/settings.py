"""Portal settings (env prefix PORTAL_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from service_kit.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    """Everything the portal reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", frozen=True)

    service_name: str = "portal-api"
    role: Literal["all", "api", "projector"] = Field(
        default="all",
        description="api: HTTP only; projector: the read models only (consumers); all: both (dev, tests).",
    )
    jwks_json: str = Field(default="", description="The JWKS (JSON) that signs user tokens; a URL comes later.")
    jwt_issuer: str = "https://id.trustportal.local"
    jwt_audience: str = "trust-portal"
    rate_limit_tenant_per_minute: int = Field(default=1200, ge=1, description="Requests per tenant per minute.")
    rate_limit_subject_per_minute: int = Field(
        default=300, ge=1, description="Requests per user or API key per minute."
    )
    rate_limit_refusals_per_minute: int = Field(
        default=30, ge=1, description="Requests per subject per minute to tenants it has no role in (all refused)."
    )
    rate_limit_sync_s: float = Field(
        default=1.0, gt=0, description="Seconds between sharing rate-limit counts with the other replicas."
    )
    metrics_port: int = Field(
        default=9464, ge=1, le=65535, description="Internal port serving /metrics only (not routed by the Ingress)."
    )
    dev_mode: bool = Field(default=False, description="Serve the dev sign-in and accept dev-issued tokens.")
    dev_users_file: str = Field(default="", description="JSON list of seeded users (dev mode).")
    dev_signing_key: SecretStr | None = Field(default=None, description="EC P-256 PEM; generated when unset.")
    onboarding_db: str = Field(default="trust_portal", description="Database of onboarding's read models.")
    slsa_db: str = Field(default="trust_portal", description="Database of slsa-watch's SLSA map (read only).")
    evidence_db: str = Field(default="trust_portal", description="Database of the evidence service's pack archives.")
    board_db: str = Field(
        default="trust_portal", description="Database of the board's revenue reports and PDFs (read only)."
    )
    slsa_target_l3: int = Field(
        default=8, ge=0, description="The SLSA view's adoption target, repos at L3 (as SLSA_WATCH_TARGET_L3_REPOS)."
    )
    payment_terms_days: int = Field(
        default=30, ge=0, description="Days after issue an invoice is due (as the board's BOARD_PAYMENT_TERMS_DAYS)."
    )
    membership_cache_s: float = Field(
        default=5.0, ge=0, description="Seconds a membership lookup is reused (a revocation takes this long)."
    )
    view_cache_s: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a tenant's onboarding view is reused by this replica (0: read each time).",
    )
    audit_linger_ms: float = Field(
        default=2.0,
        ge=0,
        le=50,
        description="Milliseconds an audit record waits for others when none is in flight (one produce request).",
    )
    usage_flush_s: float = Field(default=10.0, gt=0, description="Seconds between UsageRecorded batches.")
    plans_file: str = Field(default="", description="JSON plans (name -> plan); the packaged plans when unset.")
    cookie_secure: bool = Field(default=True, description="Mark the session cookie Secure (off only for plain http).")
