"""Board settings (env prefix BOARD_)."""

from __future__ import annotations

import socket

from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from service_kit.settings import ServiceSettings
from transparency.log import load_public

from board.completeness import Completeness, LinkChecker
from board.errors import ConfigurationError
from board.pack import PackSettings


class BoardSettings(ServiceSettings):
    """Everything the board service and its CLI read from the environment."""

    model_config = SettingsConfigDict(env_prefix="BOARD_", extra="ignore", frozen=True)

    service_name: str = "board"
    group_id: str = Field(default="board", description="Prefix of the board's consumer groups (-billing, -sla, ...).")
    payment_terms_days: int = Field(
        default=30, ge=0, description="Days after issue an invoice is due; unpaid after that it is overdue."
    )
    portal_url: str = Field(default="http://127.0.0.1:8080", description="The portal as users reach it (the prober).")
    probe_tenant: str = Field(default="", description="The synthetic tenant whose overview the prober reads.")
    probe_api_key: SecretStr | None = Field(default=None, description="The synthetic tenant's read-only API key.")
    probe_interval_s: float = Field(default=10.0, gt=0, description="Seconds between two rounds of probes.")
    probe_timeout_s: float = Field(default=5.0, gt=0, description="A probe with no whole answer by then failed.")
    prober_id: str = Field(default_factory=socket.gethostname, description="This prober instance (default: host).")
    probe_buffer: int = Field(default=10_000, ge=1, description="Results kept while Kafka is unreachable.")
    portal_public_url: str = Field(
        default="http://127.0.0.1:8080", description="The portal's address as readers of the board pack follow it."
    )
    release_tag_url: str = Field(
        default="https://github.com/trust-portal/trust-portal/releases/tag/v0.1.0",
        description="The platform's release the pack reports on (a link in the pack).",
    )
    design_partners: dict[str, str] = Field(
        default_factory=dict, description='Design partners and their status, JSON: {"acme": "signed"}.'
    )
    ledger_public_key: str | None = Field(
        default=None, description="The evidence ledger's Ed25519 public key (PEM), to verify tree heads offline."
    )
    revenue_refresh_s: float = Field(
        default=60.0, gt=0, description="Seconds between two refreshes of the monthly revenue reports (board_revenue)."
    )
    pack_timeout_s: float = Field(default=120.0, gt=0, description="How long `board build` waits for the pack.")

    def ledger_key(self) -> ed25519.Ed25519PublicKey | None:
        """The ledger's public key, if configured; ConfigurationError when it is not an Ed25519 public key."""
        if not self.ledger_public_key:
            return None
        try:
            return load_public(self.ledger_public_key)
        except ValueError as exc:
            raise ConfigurationError(f"BOARD_LEDGER_PUBLIC_KEY: {exc}") from None

    def pack_settings(self) -> PackSettings:
        """What the board pack takes from these settings."""
        return PackSettings(
            portal_url=self.portal_public_url, release_tag_url=self.release_tag_url,
            design_partners=self.design_partners, terms_days=self.payment_terms_days,
        )  # fmt: skip

    def completeness(self, links: LinkChecker) -> Completeness:
        """The completeness check these settings configure, asking `links` about the portal's pages."""
        return Completeness(links=links, ledger_key=self.ledger_key(), config=self.pack_settings())
