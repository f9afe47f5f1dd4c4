"""At-least-once consumption: bounded retries, then the original bytes and the error to `<topic>.dlq`."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, ExecutionTimeout, WTimeoutError
from schemas.export import EVENTS
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
# The event types a label may take: a header names any string, so anything else counts as "other".
EVENT_TYPES = frozenset(event.TYPE for event in EVENTS)
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
    handled: Counter = field(init=False)
    duration: Histogram = field(init=False)
    retries: Counter = field(init=False)

    def __post_init__(self) -> None:
        self.counter = Counter(
            "trustportal_dead_letters_total",
            "Messages sent to a dead-letter topic",
            ["topic"],
            registry=self.registry,
        )
        # Per event type (the CloudEvents `type` header), since one topic carries several.
        self.handled = Counter(
            "trustportal_handler_messages_total",
            "Consumed messages (a batch counts once) by topic, event type and outcome "
            "(ok, dead_lettered, redelivered: left uncommitted after an infrastructure error)",
            ["topic", "event_type", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "trustportal_handler_duration_seconds",
            "Time to handle a consumed message or batch, retries included, by topic, event type and outcome",
            ["topic", "event_type", "outcome"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.retries = Counter(
            "trustportal_handler_retries_total",
            "Handler attempts that failed and were retried, by topic and event type",
            ["topic", "event_type"],
            registry=self.registry,
        )

    def observe(self, msg: StreamMessage[Any], outcome: str, started: float) -> None:
        """Count one handled message or batch and its handling time."""
        labels = (_topic(msg), event_type(msg), outcome)
        self.handled.labels(*labels).inc()
        self.duration.labels(*labels).observe(time.perf_counter() - started)

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
        owner, policy, started = self.owner, self.owner.policy, time.perf_counter()
        for attempt in range(1, policy.max_attempts + 1):
            try:
                result = await call_next(msg)
            except POISON_ERRORS as exc:
                await owner.send(msg, exc, attempt)
                owner.observe(msg, "dead_lettered", started)
                return None
            except TRANSIENT_ERRORS as exc:
                if attempt == policy.max_attempts:
                    log.error("handler failed on infrastructure; message left for redelivery", error=str(exc))
                    owner.observe(msg, "redelivered", started)
                    raise
            except Exception as exc:
                if attempt == policy.max_attempts:
                    await owner.send(msg, exc, attempt)
                    owner.observe(msg, "dead_lettered", started)
                    return None
                log.warning("handler failed; retrying", attempt=attempt, error=str(exc)[:500])
            else:
                owner.observe(msg, "ok", started)
                return result
            owner.retries.labels(_topic(msg), event_type(msg)).inc()
            await asyncio.sleep(policy.delay(attempt))
        return None  # pragma: no cover - the loop always returns or raises


def event_type(msg: StreamMessage[Any]) -> str:
    """The CloudEvents type of a message (`ce-type`), of a batch if all its records share one ("mixed" if not).

    Only the contract's types are labels (bounded cardinality whatever a producer writes); others are "other".
    """
    headers = getattr(msg, "batch_headers", None) or [msg.headers]
    types = {t if (t := h.get("ce-type")) in EVENT_TYPES else "other" for h in headers}
    return types.pop() if len(types) == 1 else "mixed"


def _topic(msg: StreamMessage[Any]) -> str:
    records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
    return str(getattr(records[0], "topic", "unknown")) if records else "unknown"
