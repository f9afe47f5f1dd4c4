"""structlog JSON logging with trace ids, and redaction so that secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from opentelemetry import trace
from pydantic import SecretBytes, SecretStr

__all__ = ["REDACTED", "configure_logging", "get_logger", "redact_secrets"]

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"secret|password|passwd|token|api[_-]?key|authorization|signature|cookie", re.I)
# Secret-looking values that may hide inside free text (and formatted tracebacks): Standard Webhooks
# secrets, the portal's API keys, JWTs (bare or as bearer tokens), bearer credentials of any kind.
_SECRET_VALUE = re.compile(
    r"whsec_[A-Za-z0-9+/=]+"
    r"|tpk_[A-Za-z0-9_-]+"
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"
)


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if key and _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v) for v in value)
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor: replace secret-named fields and secret-looking values."""
    return {k: _redact(v, k if k != "event" else "") for k, v in event_dict.items()}


def add_trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor: add the current span's trace_id and span_id, when there is one."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


class _Stderr:
    """A structlog logger writing to whatever sys.stderr is at the time (test runners swap it)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A logging handler bound to the current sys.stderr rather than the one at start-up."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library's logging through one JSON (or console) renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]
    # Exceptions are formatted first and redacted after: a traceback's frames and messages are text
    # like any other, and a secret in them is caught the same way.
    last: list[Any] = [structlog.processors.format_exc_info, redact_secrets]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, *last, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=lambda *_: _Stderr(),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka reports every reconnect attempt at ERROR; the broker's own retries cover them.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def get_logger(name: str) -> Any:
    """Return a structlog logger bound to a module name."""
    return structlog.get_logger(name)
