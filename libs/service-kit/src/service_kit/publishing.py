"""Publishing events: one at a time through the broker, a batch on a bare producer, or a group commit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker
from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.trace import SpanKind, TracerProvider
from schemas.envelope import CONTENT_TYPE, CloudEvent

from service_kit.broker import build_broker, ensure_topics
from service_kit.settings import ServiceSettings

__all__ = [
    "BrokerTopic",
    "BulkPublisher",
    "GroupCommitPublisher",
    "event_headers",
    "one_shot_publisher",
    "publish_event",
    "started_producer",
]


def event_headers(event: CloudEvent) -> dict[str, str]:
    """The Kafka headers of an event in CloudEvents structured mode."""
    return {"content-type": CONTENT_TYPE, "ce-type": event.type, "ce-id": event.id}


async def publish_event(broker: KafkaBroker, event: CloudEvent, *, topic: str) -> None:
    """Publish one event in CloudEvents structured mode, keyed by its tenant."""
    await broker.publish(event.to_json(), topic=topic, key=event.tenantid.encode(), headers=event_headers(event))


async def started_producer(bootstrap: str, client_id: str, *, linger_ms: int = 0) -> Any:
    """A started aiokafka producer as every publisher here uses it: acks=all, idempotent (raises when Kafka is down)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True, linger_ms=linger_ms
    )
    await producer.start()
    return producer


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
        self.producer = await started_producer(self.bootstrap, self.client_id, linger_ms=2)

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


class GroupCommitPublisher:
    """Publishes one topic's events for concurrent callers together: a group commit.

    Each `publish` adds its record to the group that is forming and returns once that group is
    acknowledged by Kafka (acks=all, idempotent producer). While one group is in flight the next one
    gathers, so a hundred concurrent requests cost a few producer requests instead of a hundred:
    one batch per partition, all sent in one produce request. Nothing is acknowledged early: a
    caller whose group fails (or does not come back within `timeout_s`) gets the error.
    Records are keyed by tenant and partitioned like `publish_event`'s, so per-tenant order holds.
    When nothing is in flight, a group waits `linger_s` for company before it goes (Kafka's linger.ms):
    at a low rate that halves the produce requests each broker and this process handle, for a few
    milliseconds of latency; under load the group in flight is the wait, and no linger is added.
    """

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        *,
        topic: str,
        timeout_s: float = 1.0,
        linger_s: float = 0.0,
        tracer_provider: TracerProvider | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bootstrap, self.client_id, self.topic, self.timeout_s = bootstrap, client_id, topic, timeout_s
        self.linger_s, self.sleep = linger_s, sleep
        self.tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self.producer: Any = None
        self.forming: list[tuple[CloudEvent, dict[str, str], asyncio.Future[None]]] = []
        self.flusher: asyncio.Task[None] | None = None
        self.choose = DefaultPartitioner()  # tenant key -> partition, as publish_event's producer chooses
        self.groups = 0  # how many groups went out (with `records`, the mean group size)
        self.records = 0

    async def start(self) -> None:
        """Connect (raises when Kafka is unreachable); until then `publish` raises ConnectionError."""
        producer = await started_producer(self.bootstrap, self.client_id)
        await producer.partitions_for(self.topic)  # metadata now, not on the first request
        self.producer = producer

    async def stop(self) -> None:
        """Send what is forming, then close."""
        if self.flusher is not None:
            await asyncio.gather(self.flusher, return_exceptions=True)
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def publish(self, event: CloudEvent) -> None:
        """Add `event` to the forming group and wait until its group is acknowledged.

        Each record has its own producer span in the caller's trace, and carries that trace's context.
        """
        if self.producer is None:
            raise ConnectionError("the publisher is not started")
        if not trace.get_current_span().is_recording():  # an unsampled trace: no span, its context still travels
            await self._enqueue(event)
            return
        with self.tracer.start_as_current_span(
            f"{self.topic} publish",
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": self.topic},
        ):
            await self._enqueue(event)

    async def _enqueue(self, event: CloudEvent) -> None:
        context: dict[str, str] = {}
        inject(context)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.forming.append((event, context, done))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())
        await asyncio.wait_for(asyncio.shield(done), self.timeout_s)

    async def _flush(self) -> None:
        if self.linger_s:
            await self.sleep(self.linger_s)
        while self.forming:
            group, self.forming = self.forming, []
            try:
                await self._send([(event, context) for event, context, _ in group])
            except Exception as exc:
                for _, _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                        done.exception()  # retrieved: a caller that timed out is not "never retrieved"
                continue
            self.groups += 1
            self.records += len(group)
            for _, _, done in group:
                if not done.done():
                    done.set_result(None)

    async def _send(self, records: Sequence[tuple[CloudEvent, dict[str, str]]]) -> None:
        partitions = sorted(await self.producer.partitions_for(self.topic))
        batches: dict[int, Any] = {}
        sent = []
        for event, context in records:
            key = event.tenantid.encode()
            headers = [(k, v.encode()) for k, v in {**event_headers(event), **context}.items()]
            partition = self.choose(key, partitions, partitions)
            batch = batches.setdefault(partition, self.producer.create_batch())
            if batch.append(key=key, value=event.to_json(), timestamp=None, headers=headers) is None:
                sent.append(await self.producer.send_batch(batch, self.topic, partition=partition))
                batch = batches[partition] = self.producer.create_batch()
                batch.append(key=key, value=event.to_json(), timestamp=None, headers=headers)
        for partition, batch in batches.items():
            sent.append(await self.producer.send_batch(batch, self.topic, partition=partition))
        await asyncio.gather(*sent)


class BrokerTopic:
    """Publishes events one at a time on one topic through the service's broker (its middlewares: traces, metrics)."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self.broker = broker
        self.topic = topic

    async def publish(self, event: CloudEvent) -> None:
        """Publish `event` and return once Kafka acknowledged it."""
        await publish_event(self.broker, event, topic=self.topic)


@contextlib.asynccontextmanager
async def one_shot_publisher(
    settings: ServiceSettings, topic: str, *, client: str, tracer_provider: TracerProvider | None = None
) -> AsyncIterator[BrokerTopic]:
    """A publisher for one CLI run: the topic (and its DLQ) ensured, a broker connected for the block, then stopped.

    `topic` is the logical name (the settings add the prefix); `client` names the producer in Kafka's logs.
    """
    await ensure_topics(settings.kafka_bootstrap, [settings.topic(topic)])
    broker, _ = build_broker(settings, group=client, tracer_provider=tracer_provider)
    await broker.connect()
    try:
        yield BrokerTopic(broker, settings.topic(topic))
    finally:
        await broker.stop()
