"""Evidence settings (env prefix EVIDENCE_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from schemas.evidence import EVIDENCE_BUCKET
from service_kit.settings import ServiceSettings

from evidence.errors import ConfigurationError
from evidence.signing import PlatformKey


class EvidenceSettings(ServiceSettings):
    """Everything the evidence service and its CLI read from the environment."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", extra="ignore", frozen=True)

    service_name: str = "evidence"
    signing_key: SecretStr | None = Field(
        default=None, description="The platform's Ed25519 private key (PKCS#8 PEM) signing packs and tree heads."
    )
    group_id: str = Field(default="evidence", description="Consumer group of the pack builder.")
    collect_group_id: str = Field(default="evidence-collect", description="Consumer group keeping evidence items.")
    bucket: str = Field(default=EVIDENCE_BUCKET, description="GridFS bucket holding the pack archives.")

    def platform_key(self) -> PlatformKey:
        """The signing key; ConfigurationError names what to fix when it is missing or not a key."""
        if self.signing_key is None:
            raise ConfigurationError(
                "EVIDENCE_SIGNING_KEY is not set: the platform's Ed25519 private key (PKCS#8 PEM) signs packs and "
                "tree heads (generate one with: openssl genpkey -algorithm ed25519)"
            )
        try:
            return PlatformKey.from_pem(self.signing_key.get_secret_value())
        except ValueError as exc:
            raise ConfigurationError(f"EVIDENCE_SIGNING_KEY: {exc}") from None
