"""Accepting a write: admitted by the gate, published as an event, answered 202 with the event's id.

With an Idempotency-Key the same request replays the first answer and another request under the key
is refused; the id derives from the key, so racing duplicates publish one id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from schemas.billing import Meter
from schemas.envelope import CloudEvent

from portal_api.authorization import Subject
from portal_api.gate import AccessGate
from portal_api.idempotency import IdempotencyKeys, StoredAnswer, fingerprint
from portal_api.metering import Metering
from portal_api.ports import Clock, EventPublisher

WRITE_NAMESPACE = uuid.UUID("8a4e2c1d-7b3f-5a6e-9d0c-2f1e4b3a5c6d")
Build = Callable[[str, datetime], tuple[CloudEvent, dict[str, Any]]]


@dataclass(frozen=True)
class Accepted:
    """The answer to an accepted write: its body, and whether it replays an earlier answer."""

    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class Write:
    """One write request: who asks what of which tenant, with which body and Idempotency-Key."""

    who: Subject
    tenant: str
    action: str
    path: str
    body: BaseModel
    idempotency_key: str | None
    topic: str
    meter: Meter | None


class Writes:
    """Accepts writes: admit, replay or publish, count, remember the answer."""

    def __init__(
        self, gate: AccessGate, keys: IdempotencyKeys, publisher: EventPublisher, metering: Metering, clock: Clock
    ) -> None:
        self.gate = gate
        self.keys = keys
        self.publisher = publisher
        self.metering = metering
        self.clock = clock

    async def accept(self, write: Write, build: Build) -> Accepted:
        """Admit `write`, publish the event `build(id, now)` makes, and answer with the body it gives."""
        await self.gate.admit(write.who, write.tenant, write.action, write.path)
        scoped = IdempotencyKeys.scoped(write.tenant, write.who.id, write.idempotency_key or str(uuid.uuid4()))
        request_sha = fingerprint("POST", write.path, write.body.model_dump(mode="json"))
        if write.idempotency_key and (answer := await self.keys.replay(scoped, request_sha)):
            return Accepted(answer.body, replayed=True)
        at = self.clock()
        event, reply = build(str(uuid.uuid5(WRITE_NAMESPACE, f"{write.action}\x1f{scoped}")), at)
        await self.publisher.publish(event, write.topic)
        self.metering.count(write.tenant, "api_calls", *((write.meter,) if write.meter else ()))
        if write.idempotency_key:
            answer = StoredAnswer(request_sha256=request_sha, status_code=202, body=reply, created_at=at)
            reply = (await self.keys.remember(scoped, answer)).body
        return Accepted(reply)
