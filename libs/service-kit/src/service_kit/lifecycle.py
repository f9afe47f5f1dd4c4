"""One life for every consumer service: prepare, start in order, stop in reverse; and the `run()` entry point.

A service is its broker plus parts that start before it consumes (a bare producer) and parts that
start once it consumes (a worker, a ticker). The same order serves tests (`start`/`stop`) and the
process (`asgi()`, under uvicorn with the probes and /metrics).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from service_kit.broker import ensure_topics
from service_kit.errors import StartupError
from service_kit.health import health_routes
from service_kit.lag import ConsumerLag, DeadLetterBacklog
from service_kit.logging import configure_logging, get_logger
from service_kit.serving import serve
from service_kit.settings import ServiceSettings

__all__ = ["Lifecycle", "Part", "Runnable", "run"]

log = get_logger(__name__)
S = TypeVar("S", bound=ServiceSettings)


class Part(Protocol):
    """Something a service starts and stops with it."""

    async def start(self) -> None:
        """Start (connect, begin looping)."""
        ...

    async def stop(self) -> None:
        """Finish what is in hand and stop."""
        ...


class Runnable(Protocol):
    """A built service the process serves."""

    def asgi(self) -> Any:
        """The process's ASGI app."""
        ...


@dataclass
class Lifecycle:
    """A consumer service's broker and parts, started and stopped in one order.

    start: topics (and `prepare` steps such as indexes), the `before` parts (what consuming needs, e.g. a
    producer), the broker, the `after` parts (what consuming feeds, e.g. a worker, a ticker).
    stop: the broker first (the message in hand is finished, nothing new arrives), then the `after`
    parts (a worker drains what it was given), the `before` parts, the `closers`, MongoDB.
    """

    settings: ServiceSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[Any]
    registry: CollectorRegistry
    topics: Sequence[str]
    prepare_steps: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    before: list[Part] = field(default_factory=list)
    after: list[Part] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    lag: ConsumerLag | None = None

    def __post_init__(self) -> None:
        # Every consumer service exports its consumers' lag and its DLQs' sizes (started after the broker,
        # stopped with it).
        self.lag = self.lag or ConsumerLag(self.broker, self.registry)
        backlog = DeadLetterBacklog(self.broker, self.registry, bootstrap=self.settings.kafka_bootstrap)
        self.after = [*self.after, self.lag, backlog]

    async def prepare(self) -> None:
        """Create the topics (and their DLQs) and run the prepare steps (idempotent)."""
        s = self.settings
        await ensure_topics(s.kafka_bootstrap, [s.topic(t) for t in self.topics])
        for step in self.prepare_steps:
            await step()

    async def start(self) -> None:
        """Prepare, start the parts needed to consume, consume, start the rest."""
        await self.prepare()
        for part in self.before:
            await part.start()
        await self.broker.start()
        for part in self.after:
            await part.start()

    async def stop(self) -> None:
        """Stop consuming, then the parts in reverse order, then close the clients."""
        await self.broker.stop()
        for part in reversed(self.after):
            await part.stop()
        for part in reversed(self.before):
            await part.stop()
        for close in self.closers:
            await close()
        await self.mongo.close()

    def asgi(self) -> AsgiFastStream:
        """The process's ASGI app: the broker's lifespan in the same order, plus /healthz, /readyz and /metrics."""
        return AsgiFastStream(
            self.broker,
            logger=logging.getLogger(f"{self.settings.service_name}.app"),
            asgi_routes=health_routes(self.broker, self.mongo, self.registry),
            on_startup=[self.prepare, *(part.start for part in self.before)],
            after_startup=[part.start for part in self.after],
            after_shutdown=[
                *(part.stop for part in reversed(self.after)),
                *(part.stop for part in reversed(self.before)),
                *self.closers,
            ],
        )


def run(build: Callable[[S], Runnable], settings: S, *, env_prefix: str, default_port: int) -> None:
    """A service's main(): configure logs, build it from settings, serve it until SIGTERM.

    A StartupError (a missing or malformed setting) is logged with its reason and exits 2, never a traceback.
    """
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    try:
        service = build(settings)
    except StartupError as exc:
        log.error("cannot start", reason=str(exc))
        raise SystemExit(2) from None
    serve(service.asgi(), env_prefix=env_prefix, default_port=default_port)
