"""Board context: board pack requests on board.requests.v1; built and failed packs on board.events.v1."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime

BoardPeriod = Annotated[
    str,
    Field(
        pattern=r"^(\d{4}-(0[1-9]|1[0-2])|\d{4}-Q[1-4]|mid-Q[1-4]-\d{4})$",
        description="A month (YYYY-MM), a quarter (YYYY-Qn) or a quarter to its middle month's 15th (mid-Qn-YYYY).",
    ),
]


class Check(Contract):
    """One line of the completeness report."""

    name: str
    ok: bool
    detail: str


class BoardPackRequestedData(Contract):
    """A request for the board pack of a period."""

    request_id: str
    period: BoardPeriod
    requested_by: str
    requested_at: UtcDatetime
    allow_incomplete: bool = Field(default=False, description="Build even when a check fails, marked incomplete.")


class BoardPackRequested(CloudEvent):
    """Someone asked for a board pack (a command, on board.requests.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.board.pack-requested.v1"
    type: Literal["io.trustportal.board.pack-requested.v1"] = "io.trustportal.board.pack-requested.v1"
    data: BoardPackRequestedData


class BoardPackBuiltData(Contract):
    """A board pack was rendered, checked and its hash recorded in the evidence ledger."""

    request_id: str | None = None
    period: BoardPeriod
    file_name: str = Field(description="board-<period>.pdf")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    complete: bool = Field(description="Every completeness check passed (false only with allow_incomplete).")
    checks: tuple[Check, ...]
    ledger_index: int = Field(ge=0)
    inclusion_proof: dict[str, Any]
    tree_head: dict[str, Any]
    built_at: UtcDatetime


class BoardPackBuilt(CloudEvent):
    """A board pack is ready (on board.events.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.board.pack-built.v1"
    type: Literal["io.trustportal.board.pack-built.v1"] = "io.trustportal.board.pack-built.v1"
    data: BoardPackBuiltData


class BoardPackFailedData(Contract):
    """A board pack was not built; `reason` and the failed checks say why."""

    request_id: str | None = None
    period: BoardPeriod
    reason: str
    checks: tuple[Check, ...] = ()
    failed_at: UtcDatetime


class BoardPackFailed(CloudEvent):
    """A board pack request failed (on board.events.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.board.pack-failed.v1"
    type: Literal["io.trustportal.board.pack-failed.v1"] = "io.trustportal.board.pack-failed.v1"
    data: BoardPackFailedData


BoardFact = Annotated[BoardPackBuilt | BoardPackFailed, Field(discriminator="type")]
"""Any event on board.events.v1."""
