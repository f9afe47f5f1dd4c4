"""Settings base shared by every service; each service adds its own env prefix and fields."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServiceSettings"]


class ServiceSettings(BaseSettings):
    """Connection and runtime settings common to every service (env prefix set per service)."""

    model_config = SettingsConfigDict(env_prefix="TP_", extra="ignore", frozen=True)

    service_name: str = "trust-portal"
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="Kafka bootstrap servers.")
    mongo_uri: str = Field(default="mongodb://127.0.0.1:27017/", description="MongoDB connection URI.")
    mongo_db: str = Field(default="trust_portal", description="Database holding this service's collections.")
    topic_prefix: str = Field(default="", description="Prefix for every topic name (isolates environments).")
    log_level: str = "INFO"
    log_json: bool = Field(default=True, description="JSON logs (false: console rendering for humans).")
    handler_max_attempts: int = Field(default=5, ge=1, description="Attempts before a message is dead-lettered.")
    handler_backoff_s: float = Field(default=0.2, ge=0, description="First retry delay; doubles per attempt.")
    handler_backoff_max_s: float = Field(default=5.0, ge=0)
    metrics_port: int = Field(default=0, ge=0, description="Prometheus /metrics port; 0 disables it.")

    def topic(self, name: str) -> str:
        """The physical name of topic `name` in this environment."""
        return f"{self.topic_prefix}{name}"
