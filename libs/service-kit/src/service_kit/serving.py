"""Running a service process: its ASGI app under uvicorn, and its AsyncAPI document."""

from __future__ import annotations

import os
from typing import Any

from faststream.kafka import KafkaBroker


def serve(app: Any, *, env_prefix: str, default_port: int) -> None:
    """Serve `app` on <PREFIX>HTTP_HOST:<PREFIX>HTTP_PORT (default 127.0.0.1 and `default_port`); logs are ours."""
    import uvicorn

    host = os.environ.get(f"{env_prefix}HTTP_HOST", "127.0.0.1")
    port = int(os.environ.get(f"{env_prefix}HTTP_PORT", str(default_port)))
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def asyncapi_app(broker: KafkaBroker, *, title: str, description: str) -> Any:
    """The FastStream app `faststream docs gen` documents: `broker`'s subscribers and publishers."""
    from faststream import FastStream
    from faststream.specification import AsyncAPI

    return FastStream(broker, specification=AsyncAPI(broker, title=title, version="1.0.0", description=description))
