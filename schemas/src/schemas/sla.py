"""SLA context: what the board's prober saw when it called the portal from outside, on sla.events.v1.

Probes belong to no partner: their tenantid is schemas.tenant.PLATFORM_TENANT.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from schemas.envelope import CloudEvent, Contract, UtcDatetime

Target = Literal["readyz", "tenant-read"]
TARGETS: tuple[Target, ...] = ("readyz", "tenant-read")
"""What is probed: the portal's readiness, and a tenant-scoped read as a partner makes it."""


class ProbeResultData(Contract):
    """One call of the portal by the prober: whether it answered as it should, and how fast."""

    target: Target
    url: str = Field(max_length=2048, description="The URL called (no credentials: the key goes in a header).")
    ok: bool = Field(description="True when the answer had the expected status and shape.")
    status: int | None = Field(default=None, ge=100, le=599, description="HTTP status; none when no answer came.")
    latency_ms: float = Field(ge=0, description="From sending the request to the whole answer (or the failure).")
    error: str | None = Field(default=None, max_length=512, description="Why it failed: timeout, refused, status.")
    probed_at: UtcDatetime
    prober: str = Field(max_length=128, description="The prober instance, so probes from two replicas never collide.")


class ProbeResult(CloudEvent):
    """A probe's outcome (on sla.events.v1)."""

    TYPE: ClassVar[str] = "io.trustportal.sla.probe-result.v1"
    type: Literal["io.trustportal.sla.probe-result.v1"] = "io.trustportal.sla.probe-result.v1"
    data: ProbeResultData


SlaFact = Annotated[ProbeResult, Field(discriminator="type")]
"""Any event on sla.events.v1."""

SLA_FACTS: TypeAdapter[SlaFact] = TypeAdapter(SlaFact)
