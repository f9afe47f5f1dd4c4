"""A small HTTP/1.1 keep-alive load generator on asyncio streams (GET only, Content-Length bodies).

General-purpose clients spend more CPU per request than the route under test; this one spends tens
of microseconds, so the figures describe the server.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Sample:
    """Latencies in seconds, when each request was due (seconds from the start) and the status codes seen."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    due: list[float] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def add(self, latency: float, status: int, due: float = 0.0) -> None:
        self.latencies.append(latency)
        self.statuses[status] += 1
        self.due.append(due)

    def slowest(self, share: float = 0.01) -> tuple[float, float]:
        """When the slowest `share` of requests were due: (first, last) in seconds from the start.

        A narrow span is one stall (a collection, a broker hiccup); a wide one is queueing throughout.
        """
        ranked = sorted(zip(self.latencies, self.due, strict=True), reverse=True)[: max(1, int(share * len(self.due)))]
        times = [due for _, due in ranked]
        return min(times), max(times)


class Connection:
    """One keep-alive connection that sends GETs and reads whole responses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
        self.reader, self.writer, self.request = reader, writer, request

    @classmethod
    async def open(cls, url: str, headers: dict[str, str]) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
        return cls(reader, writer, ("\r\n".join(lines) + "\r\n\r\n").encode())

    async def get(self) -> int:
        """Send one request; return its status once the whole body is read (0: the connection broke).

        A keep-alive connection the server closed while idle is reopened and the GET sent once more,
        as HTTP clients do for idempotent requests.
        """
        for attempt in (1, 2):
            try:
                return await self.exchange()
            except (ConnectionError, asyncio.IncompleteReadError):
                host, port = self.writer.get_extra_info("peername")[:2]
                self.reader, self.writer = await asyncio.open_connection(host, port)
                if attempt == 2:
                    return 0
        return 0

    async def exchange(self) -> int:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def closed_loop(url: str, headers: dict[str, str], seconds: float, concurrency: int) -> tuple[Sample, float]:
    """`concurrency` connections, each sending its next request when the last answered; (sample, elapsed)."""
    sample = Sample()
    connections = [await Connection.open(url, headers) for _ in range(concurrency)]
    stop = time.perf_counter() + seconds

    async def worker(conn: Connection) -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status = await conn.get()
            sample.add(time.perf_counter() - started, status, started - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - began
    for conn in connections:
        await conn.close()
    return sample, elapsed


async def open_loop(
    url: str, headers: dict[str, str], rate: float, seconds: float, idle: list[Connection] | None = None
) -> tuple[Sample, float]:
    """Requests on a fixed schedule of `rate` per second; latency counts from each scheduled time.

    A free connection takes each request; more are opened when all are busy (as browsers and
    proxies do), so a slow answer delays no later request: no coordinated omission. A dispatcher
    starts each request at its time (thousands of sleeping tasks made up front would delay the first
    ones by the time it takes to create them). `idle` keeps the connections between runs (a warm-up
    and the measurement); without it they are closed at the end.
    """
    sample = Sample()
    pool = idle if idle is not None else []
    total = int(rate * seconds)
    running: set[asyncio.Task[None]] = set()

    async def one(due: float) -> None:
        conn = pool.pop() if pool else await Connection.open(url, headers)
        status = await conn.get()
        sample.add(time.perf_counter() - due, status, due - start)
        pool.append(conn)

    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    elapsed = time.perf_counter() - start
    if idle is None:
        for conn in pool:
            await conn.close()
    return sample, elapsed
