"""Retry and dead-letter behaviour on FastStream's in-memory broker (logic only; the real broker is
exercised by the integration tests)."""

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel
from pymongo.errors import AutoReconnect
from service_kit.broker import build_broker
from service_kit.settings import ServiceSettings


class Order(BaseModel):
    n: int


def make(max_attempts=3):
    settings = ServiceSettings(handler_max_attempts=max_attempts, handler_backoff_s=0.0)
    broker, dead = build_broker(settings, group="g")
    letters: list = []

    @broker.subscriber("orders.dlq")
    async def on_dead(msg: KafkaMessage):
        letters.append(msg.body)

    return broker, dead, letters


async def test_a_handler_failing_transiently_is_retried_and_then_succeeds():
    broker, _, letters = make()
    calls = []

    @broker.subscriber("orders", group_id="g")
    async def handle(order: Order):
        calls.append(order.n)
        if len(calls) < 3:
            raise RuntimeError("flaky")

    async with TestKafkaBroker(broker) as br:
        await br.publish({"n": 1}, "orders")
    assert calls == [1, 1, 1] and letters == []


async def test_a_poison_message_goes_to_the_dlq_at_once_with_its_original_bytes():
    broker, dead, letters = make()
    calls = []

    @broker.subscriber("orders", group_id="g")
    async def handle(order: Order):
        calls.append(order)

    async with TestKafkaBroker(broker) as br:
        await br.publish(b'{"n": "not a number"}', "orders")
    assert calls == [] and letters == [b'{"n": "not a number"}']
    assert dead.counter.labels(topic="orders")._value.get() == 1


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_the_bounded_attempts():
    broker, _, letters = make(max_attempts=4)
    calls = []

    @broker.subscriber("orders", group_id="g")
    async def handle(order: Order):
        calls.append(order.n)
        raise ValueError("bug")

    async with TestKafkaBroker(broker) as br:
        await br.publish({"n": 7}, "orders")
    assert len(calls) == 4 and letters == [b'{"n":7}']


async def test_an_infrastructure_outage_is_not_dead_lettered():
    broker, _, letters = make(max_attempts=2)

    @broker.subscriber("orders", group_id="g")
    async def handle(order: Order):
        raise AutoReconnect("mongo down")

    async with TestKafkaBroker(broker) as br:
        with pytest.raises(AutoReconnect):
            await br.publish({"n": 1}, "orders")
    assert letters == []


def samples(dead, name: str) -> dict[tuple[str, ...], float]:
    return {
        tuple(s.labels[k] for k in ("topic", "event_type", "outcome") if k in s.labels): s.value
        for m in dead.registry.collect()
        for s in m.samples
        if s.name == name
    }


async def test_handler_metrics_count_each_outcome_per_event_type_and_bound_unknown_types():
    broker, dead, _ = make(max_attempts=2)
    ok_type = "io.trustportal.billing.invoice-issued.v1"

    @broker.subscriber("orders", group_id="g")
    async def handle(order: Order):
        if order.n == 2:
            raise RuntimeError("always")

    async with TestKafkaBroker(broker) as br:
        await br.publish({"n": 1}, "orders", headers={"ce-type": ok_type})
        await br.publish({"n": 2}, "orders", headers={"ce-type": ok_type})
        await br.publish({"n": 1}, "orders", headers={"ce-type": "attacker.chosen.label"})
        await br.publish(b'{"n": "x"}', "orders", headers={"ce-type": ok_type})
    handled = {k: v for k, v in samples(dead, "trustportal_handler_messages_total").items() if k[0] == "orders"}
    assert handled == {
        ("orders", ok_type, "ok"): 1,
        ("orders", ok_type, "dead_lettered"): 2,
        ("orders", "other", "ok"): 1,
    }
    durations = samples(dead, "trustportal_handler_duration_seconds_count")
    assert durations[("orders", ok_type, "dead_lettered")] == 2
    assert samples(dead, "trustportal_handler_retries_total") == {("orders", ok_type): 1}


async def test_a_transient_failure_that_outlasts_the_retries_counts_as_redelivered():
    broker, dead, _ = make(max_attempts=2)

    @broker.subscriber("orders", group_id="g")
    async def handle(order: Order):
        raise AutoReconnect("mongo away")

    async with TestKafkaBroker(broker) as br:
        with pytest.raises(AutoReconnect):
            await br.publish({"n": 1}, "orders", headers={"ce-type": "io.trustportal.billing.invoice-issued.v1"})
    handled = {k: v for k, v in samples(dead, "trustportal_handler_messages_total").items() if k[0] == "orders"}
    assert handled == {("orders", "io.trustportal.billing.invoice-issued.v1", "redelivered"): 1}
