"""Board settings (env prefix BOARD_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from service_kit.settings import ServiceSettings


class BoardSettings(ServiceSettings):
    """Everything the board service and its CLI read from the environment."""

    model_config = SettingsConfigDict(env_prefix="BOARD_", extra="ignore", frozen=True)

    service_name: str = "board"
    group_id: str = Field(default="board", description="Consumer group of the board's projections.")
    payment_terms_days: int = Field(
        default=30, ge=0, description="Days after issue an invoice is due; unpaid after that it is overdue."
    )
