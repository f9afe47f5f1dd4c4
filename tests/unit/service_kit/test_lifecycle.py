"""A service's life: it stops consuming first, then drains what consuming fed, then closes its clients."""

from __future__ import annotations

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from service_kit.errors import StartupError
from service_kit.lifecycle import Lifecycle, run
from service_kit.settings import ServiceSettings


class Recorded:
    """A part (or client) that notes when it starts, stops or closes."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")

    async def close(self) -> None:
        self.log.append(f"close {self.name}")


def lifecycle(log: list[str]) -> Lifecycle:
    broker = KafkaBroker()
    broker_part = Recorded("broker", log)
    setattr(broker, "start", broker_part.start)  # noqa: B010 - the broker's own methods, recorded instead
    setattr(broker, "stop", broker_part.stop)  # noqa: B010
    return Lifecycle(
        settings=ServiceSettings(),
        broker=broker,
        mongo=Recorded("mongo", log),  # type: ignore[arg-type]
        registry=CollectorRegistry(),
        topics=(),
        before=[Recorded("producer", log)],
        after=[Recorded("worker", log), Recorded("ticker", log)],
        closers=[Recorded("http client", log).close],
    )


async def test_stopping_ends_consumption_first_then_drains_the_parts_in_reverse_then_closes_the_clients():
    log: list[str] = []
    await lifecycle(log).stop()
    assert log == [
        "stop broker", "stop ticker", "stop worker", "stop producer", "close http client", "close mongo",
    ]  # fmt: skip


def test_the_process_app_is_built_without_touching_kafka_or_mongodb():
    log: list[str] = []
    lifecycle(log).asgi()
    assert log == []  # nothing started, stopped or closed: the lifespan does that when uvicorn runs it


def test_a_setting_that_stops_the_start_exits_2_naming_it_without_a_traceback(capsys):
    def build(settings: ServiceSettings) -> Lifecycle:
        raise StartupError("TP_SIGNING_KEY is not set")

    with pytest.raises(SystemExit) as stopped:
        run(build, ServiceSettings(log_json=True), env_prefix="TP_", default_port=0)
    assert stopped.value.code == 2
    out = capsys.readouterr()
    assert "TP_SIGNING_KEY is not set" in out.out + out.err and "Traceback" not in out.out + out.err
