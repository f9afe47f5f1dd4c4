"""The service's Kafka broker: built with telemetry, metrics, retries and a DLQ; started when Kafka answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry
from schemas.topics import dlq

from service_kit.dead_letters import DeadLetters, RetryPolicy
from service_kit.decoding import cloudevents_decoder
from service_kit.logging import get_logger
from service_kit.settings import ServiceSettings

__all__ = ["build_broker", "ensure_topics", "reachable", "try_start"]

log = get_logger(__name__)


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
