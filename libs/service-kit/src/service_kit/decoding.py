"""Decoding consumed records: CloudEvents in structured mode, and raw batches judged record by record."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from faststream.message import StreamMessage, decode_message
from schemas.envelope import CONTENT_TYPE

from service_kit.dead_letters import POISON_ERRORS

__all__ = ["cloudevents_decoder", "decode_each", "raw_batch_decoder"]

T = TypeVar("T")


async def cloudevents_decoder(msg: StreamMessage[Any], original: Callable[..., Awaitable[Any]]) -> Any:
    """Decode structured-mode CloudEvents (application/cloudevents+json) as JSON; else the default."""
    if (msg.content_type or "").startswith(CONTENT_TYPE):
        return json.loads(msg.body)
    return decode_message(msg)


async def raw_batch_decoder(msg: StreamMessage[Any], original: Callable[..., Awaitable[Any]]) -> Any:
    """Leave a batch's bodies undecoded (bytes each), so the handler validates and dead-letters them one by one."""
    return list(msg.body)


async def decode_each(
    bodies: Sequence[bytes],
    records: Sequence[Any],
    parse: Callable[[bytes], T],
    dead_letter: Callable[[Any, BaseException], Awaitable[None]],
) -> list[tuple[T, Any]]:
    """Each record of a raw batch parsed, with its record; one that does not parse goes to the DLQ alone."""
    parsed = []
    for body, record in zip(bodies, records, strict=True):
        try:
            parsed.append((parse(body), record))
        except POISON_ERRORS as exc:
            await dead_letter(record, exc)
    return parsed
