"""Kafka broker factory: telemetry, metrics, CloudEvents decoding, at-least-once with retries and a DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage, decode_message
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, ExecutionTimeout, WTimeoutError
from schemas.envelope import CONTENT_TYPE, CloudEvent
from schemas.topics import dlq

from service_kit.logging import get_logger
from service_kit.settings import ServiceSettings

log = get_logger(__name__)
T = TypeVar("T")

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


def build_broker(
    settings: ServiceSettings,
    *,
    group: str,
    tracer_provider: TracerProvider | None = None,
    registry: CollectorRegistry | None = None,
) -> tuple[KafkaBroker, DeadLetters]:
    """Build the service's broker: at-least-once (commit after success), retries, DLQ, telemetry."""
    registry = registry if registry is not None else CollectorRegistry()
    dead_letters = DeadLetters(
        RetryPolicy(settings.handler_max_attempts, settings.handler_backoff_s, settings.handler_backoff_max_s),
        group=group,
        registry=registry,
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=True,
        # NACK on an escaped error: the offset is not committed and the message comes back.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=cloudevents_decoder,
        logger=logging.getLogger(f"{settings.service_name}.broker"),
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name),
            dead_letters.middleware,
        ],
    )
    dead_letters.broker = broker
    return broker, dead_letters


def event_headers(event: CloudEvent) -> dict[str, str]:
    """The Kafka headers of an event in CloudEvents structured mode."""
    return {"content-type": CONTENT_TYPE, "ce-type": event.type, "ce-id": event.id}


async def publish_event(broker: KafkaBroker, event: CloudEvent, *, topic: str) -> None:
    """Publish one event in CloudEvents structured mode, keyed by its tenant."""
    await broker.publish(event.to_json(), topic=topic, key=event.tenantid.encode(), headers=event_headers(event))


class BulkPublisher:
    """Publishes a batch of events at once on its own aiokafka producer, for a service's hot path.

    The same records as publish_event (structured CloudEvents, keyed by tenant, acks=all, idempotent)
    plus the current trace context, but without the broker's per-message middlewares, which cost
    more than the work of a fast handler. publish() returns once every record is acknowledged.
    """

    def __init__(self, bootstrap: str, client_id: str) -> None:
        self.bootstrap, self.client_id = bootstrap, client_id
        self.producer: Any = None

    async def start(self) -> None:
        """Connect (raises when Kafka is unreachable)."""
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, client_id=self.client_id, acks="all", enable_idempotence=True, linger_ms=2
        )
        await producer.start()
        self.producer = producer

    async def stop(self) -> None:
        """Flush and close."""
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def publish(self, events: Sequence[CloudEvent], *, topic: str) -> None:
        """Publish every event and wait until all are acknowledged."""
        from opentelemetry.propagate import inject

        if self.producer is None:
            raise ConnectionError("the publisher is not started")

        context: dict[str, str] = {}
        inject(context)
        pending = []
        for event in events:
            headers = [(k, v.encode()) for k, v in {**event_headers(event), **context}.items()]
            pending.append(
                await self.producer.send(topic, event.to_json(), key=event.tenantid.encode(), headers=headers)
            )
        await asyncio.gather(*pending)


async def ensure_topics(bootstrap: str, names: list[str], *, partitions: int = 3) -> None:
    """Create the topics and their dead-letter twins that do not exist yet (idempotent).

    In Kubernetes, Strimzi KafkaTopic resources own topics; locally the services create them so
    that partitions (and so parallelism) match across runs.
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        wanted = {t for name in names for t in (name, dlq(name))}
        missing = wanted - set(await admin.list_topics())
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in sorted(missing)]
                )
            except Exception as exc:  # another process created one first: fine
                if "TopicAlreadyExists" not in type(exc).__name__ + str(exc):
                    raise
    finally:
        await admin.close()


async def try_start(broker: KafkaBroker, bootstrap: str, *, timeout_s: float = 10.0) -> bool:
    """One attempt to start `broker`, made only once a bootstrap server accepts connections.

    The reachability check comes first because an aiokafka producer whose start fails is never
    closed; a failed attempt stops what did start, so the caller may simply try again later.
    """
    try:
        await reachable(bootstrap, timeout_s=2.0)
        await asyncio.wait_for(broker.start(), timeout_s)
    except Exception as exc:
        log.warning("kafka unavailable", error=f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(Exception):
            await broker.stop()
        return False
    return True


async def reachable(bootstrap: str, timeout_s: float) -> None:
    """Raise OSError unless one of the bootstrap servers accepts a TCP connection."""
    errors = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), timeout_s)
        except (OSError, TimeoutError) as exc:
            errors.append(f"{server}: {exc or type(exc).__name__}")
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise OSError("; ".join(errors))
