"""At-least-once consumption: bounded retries, then the original bytes and the error to `<topic>.dlq`."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, ExecutionTimeout, WTimeoutError
from schemas.topics import dlq

from service_kit.logging import get_logger

__all__ = ["POISON_ERRORS", "TRANSIENT_ERRORS", "DeadLetters", "RetryPolicy"]

log = get_logger(__name__)

# Errors of the infrastructure, not of the message: after the retries the message is not
# dead-lettered but left uncommitted (redelivered), so an outage never empties a topic into its DLQ.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    AutoReconnect,
    ExecutionTimeout,
    WTimeoutError,
    TimeoutError,
    ConnectionError,
)
# Errors that retrying cannot fix: straight to the dead-letter topic.
POISON_ERRORS: tuple[type[BaseException], ...] = (ValidationError, json.JSONDecodeError, UnicodeDecodeError)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter."""

    max_attempts: int = 5
    backoff_s: float = 0.2
    backoff_max_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based)."""
        return random.uniform(0, min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)))


@dataclass
class DeadLetters:
    """Retries a failing handler, then sends the original bytes and the error to `<topic>.dlq`."""

    policy: RetryPolicy
    group: str
    registry: CollectorRegistry
    broker: KafkaBroker | None = None
    counter: Counter = field(init=False)

    def __post_init__(self) -> None:
        self.counter = Counter(
            "trustportal_dead_letters_total",
            "Messages sent to a dead-letter topic",
            ["topic"],
            registry=self.registry,
        )

    def middleware(self, msg: Any, /, *, context: Any) -> BaseMiddleware[Any, Any]:
        """Middleware factory for the broker."""
        return _DeadLetterMiddleware(msg, context=context, owner=self)

    async def send(self, msg: StreamMessage[Any], error: BaseException, attempts: int) -> None:
        """Publish `msg`'s original bytes to its topic's DLQ, with the error in headers (each record of a batch)."""
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        for record in records:
            await self.send_record(record, error, attempts)

    async def send_record(self, record: Any, error: BaseException, attempts: int = 1) -> None:
        """Publish one consumed record's original bytes to its topic's DLQ, with the error in headers."""
        assert self.broker is not None, "DeadLetters.broker is set by build_broker"
        topic = getattr(record, "topic", "unknown")
        headers = {k: v.decode(errors="replace") for k, v in (getattr(record, "headers", None) or ())}
        headers.update(
            {
                "x-dlq-error-type": type(error).__name__,
                "x-dlq-error": str(error)[:2000],
                "x-dlq-source-topic": topic,
                "x-dlq-source-partition": str(getattr(record, "partition", "")),
                "x-dlq-source-offset": str(getattr(record, "offset", "")),
                "x-dlq-consumer-group": self.group,
                "x-dlq-attempts": str(attempts),
            }
        )
        body = getattr(record, "value", None) or b""
        await self.broker.publish(body, topic=dlq(topic), key=getattr(record, "key", None), headers=headers)
        self.counter.labels(topic=topic).inc()
        log.warning(
            "message dead-lettered",
            topic=topic,
            offset=headers["x-dlq-source-offset"],
            error_type=type(error).__name__,
            error=str(error)[:500],
            attempts=attempts,
        )


class _DeadLetterMiddleware(BaseMiddleware[Any, Any]):
    def __init__(self, msg: Any, /, *, context: Any, owner: DeadLetters) -> None:
        super().__init__(msg, context=context)
        self.owner = owner

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        policy = self.owner.policy
        for attempt in range(1, policy.max_attempts + 1):
            try:
                return await call_next(msg)
            except POISON_ERRORS as exc:
                await self.owner.send(msg, exc, attempt)
                return None
            except TRANSIENT_ERRORS as exc:
                if attempt == policy.max_attempts:
                    log.error("handler failed on infrastructure; message left for redelivery", error=str(exc))
                    raise
            except Exception as exc:
                if attempt == policy.max_attempts:
                    await self.owner.send(msg, exc, attempt)
                    return None
                log.warning("handler failed; retrying", attempt=attempt, error=str(exc)[:500])
            await asyncio.sleep(policy.delay(attempt))
        return None  # pragma: no cover - the loop always returns or raises
