"""The prober on a fake transport and a recording publisher: what a good answer is, and no result lost while
Kafka is away; and the probe-hour fold it feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from board.prober import Prober, checks
from board.projections import probe_chunks, unique_probes
from schemas.sla import ProbeResult, ProbeResultData
from service_kit.testing import FakeClock, RecordingPublisher

NOW = datetime(2026, 5, 3, 14, 0, 5, tzinfo=UTC)
KEY = "tp_k1_secret"


def portal(answers: dict[str, httpx.Response | Exception]) -> httpx.AsyncClient:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[request.url.path]
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    client.seen = seen  # type: ignore[attr-defined]
    return client


async def test_a_round_probes_readiness_and_the_synthetic_tenants_read_with_its_key_and_judges_each_answer():
    client = portal({
        "/readyz": httpx.Response(200, json={"status": "ready"}),
        "/api/v1/tenants/probe-co/overview": httpx.Response(200, json={"tenant": "probe-co", "onboarding": None}),
    })  # fmt: skip
    published = RecordingPublisher()
    prober = Prober(client, checks("http://portal.test/", "probe-co", KEY), published, FakeClock(NOW), prober_id="p1")
    assert await prober.round() == 2
    results = [e.data for e in published.events]
    assert [(r.target, r.ok, r.status, r.error) for r in results] == [("readyz", True, 200, None),
                                                                     ("tenant-read", True, 200, None)]  # fmt: skip
    assert client.seen[1].headers["authorization"] == f"Bearer {KEY}"  # type: ignore[attr-defined]
    assert all(KEY not in e.to_json().decode() for e in published.events)  # the key never leaves in a result
    assert all(e.tenantid == "platform" and r.probed_at == NOW for e, r in zip(published.events, results, strict=True))


async def test_a_wrong_status_a_wrong_body_a_timeout_and_a_refused_connection_are_each_a_failed_probe_with_its_reason():
    cases: list[tuple[httpx.Response | Exception, str, int | None]] = [
        (httpx.Response(503, json={"status": "not ready"}), "status 503", 503),
        (httpx.Response(200, json={"tenant": "someone-else"}), "the answer is not probe-co's overview", 200),
        (httpx.Response(200, text="<html>"), "the answer is not JSON", 200),
        (httpx.ReadTimeout("slow"), "timeout", None),
        (httpx.ConnectError("refused"), "ConnectError: refused", None),
    ]
    for answer, reason, status in cases:
        client = portal({"/readyz": httpx.Response(200), "/api/v1/tenants/probe-co/overview": answer})
        published = RecordingPublisher()
        prober = Prober(client, checks("http://portal.test", "probe-co", KEY), published, FakeClock(NOW),
                        prober_id="p1")  # fmt: skip
        await prober.round()
        read = published.events[1].data
        assert (read.ok, read.error, read.status) == (False, reason, status)


async def test_each_probe_is_counted_by_target_and_outcome_with_its_latency_for_the_slos():
    from board.metrics import ProbeMetrics
    from prometheus_client import CollectorRegistry

    client = portal({"/readyz": httpx.Response(200), "/api/v1/tenants/probe-co/overview": httpx.Response(503)})
    registry = CollectorRegistry()
    prober = Prober(client, checks("http://portal.test", "probe-co", KEY), RecordingPublisher(), FakeClock(NOW),
                    prober_id="p1", metrics=ProbeMetrics(registry))  # fmt: skip
    await prober.round()
    await prober.round()

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("trustportal_probe_results_total", target="readyz", outcome="ok") == 2
    assert value("trustportal_probe_results_total", target="tenant-read", outcome="failed") == 2
    assert value("trustportal_probe_results_total", target="tenant-read", outcome="ok") is None
    assert value("trustportal_probe_latency_seconds_count", target="readyz") == 2


async def test_results_kafka_refused_are_published_first_in_the_next_round_and_none_is_lost():
    client = portal({"/readyz": httpx.Response(200)})
    published, clock = RecordingPublisher(), FakeClock(NOW)
    prober = Prober(client, checks("http://portal.test", "", None), published, clock, prober_id="p1")
    published.failing = ConnectionError("kafka away")
    assert await prober.round() == 0
    clock.advance(10)
    assert await prober.round() == 0
    published.failing = None
    clock.advance(10)
    assert await prober.round() == 3
    assert [e.data.probed_at for e in published.events] == [
        NOW,
        NOW + timedelta(seconds=10),
        NOW + timedelta(seconds=20),
    ]


def probe(at: datetime, ok: bool = True, target: str = "readyz") -> ProbeResult:
    data = ProbeResultData(target=target, url="http://portal.test/readyz", ok=ok, status=200 if ok else 503,
                           latency_ms=12.5, error=None if ok else "status 503", probed_at=at, prober="p1")  # fmt: skip
    return ProbeResult.create(data=data, source="/tests", tenantid="platform", time=at)


def test_a_batch_of_probes_is_one_document_per_target_and_hour_read_back_as_they_were_each_probe_once():
    events = [probe(NOW + timedelta(seconds=10 * i), ok=i != 3) for i in range(6)]
    events += [probe(NOW + timedelta(hours=1)), probe(NOW, target="tenant-read"), events[0]]  # one twice
    chunks = dict(probe_chunks(events))
    assert sorted(k.rsplit("/", 1)[0] for k in chunks) == [
        "readyz/2026-05-03T14", "readyz/2026-05-03T15", "tenant-read/2026-05-03T14"]  # fmt: skip
    first = next(c for k, c in chunks.items() if k.startswith("readyz/2026-05-03T14/"))
    assert [(p.probed_at, p.ok, p.error) for p in first.probes()] == [(e.data.probed_at, e.data.ok, e.data.error)
                                                                     for e in events[:6]]  # fmt: skip
    assert dict(probe_chunks(events)).keys() == chunks.keys()  # a redelivered batch: the same keys, kept once
    # The same probes redelivered cut into other batches: kept twice, read once.
    later = dict(probe_chunks(events[2:6]))
    read = unique_probes([*chunks.values(), *later.values()])
    assert len(read) == 8 and sorted(p.probed_at for p in read if p.target == "readyz")[:6] == [
        e.data.probed_at for e in events[:6]]  # fmt: skip
