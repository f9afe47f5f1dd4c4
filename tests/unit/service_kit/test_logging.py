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


SECRETS = {
    "api key": "tpk_abcdefghij234567_" + "Q" * 43,
    "jwt": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2lnbmF0dXJlLWJ5dGVz",
    "webhook secret": "whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==",
}


def fail_with_secrets() -> None:
    token = SECRETS["jwt"]  # a local in the failing frame, as in a request handler
    raise ValueError(f"cannot verify {SECRETS['api key']} with {SECRETS['webhook secret']} for {token}")


def test_a_traceback_holding_each_kind_of_secret_is_redacted_after_it_is_formatted(capsys):
    import logging

    configure_logging("test", level="INFO")
    try:
        fail_with_secrets()
    except ValueError:
        get_logger("t").exception("verification failed")
        logging.getLogger("stdlib").exception("the standard library's logging too")
    lines = logged(capsys)
    assert len(lines) == 2 and all("ValueError" in line["exception"] for line in lines)  # the traceback is there
    for line in lines:
        text = json.dumps(line)
        for kind, secret in SECRETS.items():
            assert secret not in text, kind
            assert secret[8:30] not in text, kind  # nor any recognisable part of it
        assert REDACTED in line["exception"]
