"""Running a service process: its ASGI app under uvicorn, and its AsyncAPI document."""

from __future__ import annotations

import os
from typing import Any

from faststream.kafka import KafkaBroker

__all__ = ["asyncapi_app", "serve"]


def serve(app: Any, *, env_prefix: str, default_port: int, extra_ports: tuple[int, ...] = ()) -> None:
    """Serve `app` on <PREFIX>HTTP_HOST:<PREFIX>HTTP_PORT (default 127.0.0.1 and `default_port`); logs are ours.

    `extra_ports` are listened on too, by the same server (one process, one event loop, one shutdown):
    the app tells them apart by the port in the request's scope (e.g. an internal metrics port).
    """
    import socket

    import uvicorn

    host = os.environ.get(f"{env_prefix}HTTP_HOST", "127.0.0.1")
    port = int(os.environ.get(f"{env_prefix}HTTP_PORT", str(default_port)))
    if not extra_ports:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets = [socket.create_server((host, p), family=family) for p in (port, *extra_ports)]
    uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False)).run(sockets=sockets)


def asyncapi_app(broker: KafkaBroker, *, title: str, description: str) -> Any:
    """The FastStream app `faststream docs gen` documents: `broker`'s subscribers and publishers."""
    from faststream import FastStream
    from faststream.specification import AsyncAPI

    return FastStream(broker, specification=AsyncAPI(broker, title=title, version="1.0.0", description=description))
