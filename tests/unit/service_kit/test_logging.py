import json

import structlog
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr
from service_kit.logging import REDACTED, configure_logging, get_logger


def logged(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def test_secrets_never_reach_a_log_line(capsys):
    configure_logging("test", level="INFO")
    secret = "whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw=="
    get_logger("t").info(
        "delivering",
        webhook_secret=secret,
        password="hunter2",
        key=SecretStr("k"),
        headers={"Authorization": "Bearer abc.def", "x-ok": "fine"},
        note=f"used {secret} and Bearer tok123",
    )
    (line,) = logged(capsys)
    text = json.dumps(line)
    for leaked in (secret, "hunter2", "abc.def", "tok123"):
        assert leaked not in text
    assert line["webhook_secret"] == REDACTED and line["headers"]["x-ok"] == "fine"


def test_log_lines_carry_the_current_trace_and_span_ids(capsys):
    configure_logging("test", level="INFO")
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("work") as span:
        get_logger("t").info("inside")
    (line,) = logged(capsys)
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    assert line["service"] == "test"
    structlog.contextvars.clear_contextvars()
