"""The CloudEvents 1.0 envelope (structured JSON mode) every Trust Portal event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"

# Namespace for deterministic ids of derived events: uuid5(NAMESPACE, f"{input id}/{output type}").
EVENT_ID_NAMESPACE = uuid.UUID("6f1c2d0e-4b5a-5c3e-9a7d-1e2f3a4b5c6d")


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_aware_utc)]
"""A timezone-aware timestamp, normalised to UTC."""


def derived_id(input_id: str, output_type: str, *discriminators: str) -> str:
    """Return the deterministic id of an event derived from an input event.

    A redelivered input re-emits the same ids, so downstream deduplication holds.
    """
    name = "/".join((input_id, output_type, *discriminators))
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


class Contract(BaseModel):
    """Base of every payload and read model: frozen, strict about unknown fields on output."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=False)


class CloudEvent(Contract):
    """A CloudEvents 1.0 event in structured JSON mode; subclasses pin `type` and `data`."""

    TYPE: ClassVar[str] = ""

    specversion: str = "1.0"
    id: str = Field(min_length=1, max_length=128, description="Unique per source; deterministic when derived.")
    source: str = Field(pattern=r"^/[a-z0-9/_-]+$", description="Producer, e.g. /services/onboarding.")
    type: str
    time: UtcDatetime
    subject: str | None = None
    tenantid: str = Field(min_length=1, max_length=64, description="Tenant the event belongs to (extension).")
    datacontenttype: str = "application/json"
    data: Any

    @classmethod
    def create(
        cls,
        *,
        data: Any,
        source: str,
        tenantid: str,
        time: datetime,
        id: str | None = None,
        subject: str | None = None,
        caused_by: str | None = None,
    ) -> Self:
        """Build an event of this class; `caused_by` derives a deterministic id from the input event."""
        if id is None:
            id = derived_id(caused_by, cls.TYPE) if caused_by else str(uuid.uuid4())
        return cls(id=id, source=source, type=cls.TYPE, time=time, subject=subject, tenantid=tenantid, data=data)

    def to_json(self) -> bytes:
        """Serialise in structured mode, as published on Kafka."""
        return self.model_dump_json(exclude_none=True).encode()
