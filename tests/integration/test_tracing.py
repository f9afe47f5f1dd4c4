"""One trace runs from the CLI's publish through the handler, the webhook call and the WebhookVerified publish."""

from __future__ import annotations

from onboarding.app import build_app
from onboarding.cli import publish_requests
from onboarding.settings import OnboardingSettings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo import MongoClient
from service_kit.testing.webhooks import WebhookReceiver

from schemas import topics
from tests.integration.support import eventually, request, tenant


async def test_one_trace_spans_cli_publish_handler_webhook_call_and_verified_publish(
    settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient
):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    service = build_app(settings, tracer_provider=provider)
    await service.start()
    try:
        await publish_requests(settings, [request("traced", receiver.url("traced"))], provider)
        await eventually(
            lambda: (tenant(mongo, settings, "traced") or {}).get("state") == "onboarded", what="onboarded"
        )
        await eventually(
            lambda: (
                any(
                    "publish" in s.name
                    and topics.TENANT_EVENTS in s.name
                    and s.context.trace_id == _root(exporter).context.trace_id
                    for s in exporter.get_finished_spans()
                )
                and sum(
                    1 for s in exporter.get_finished_spans() if topics.TENANT_EVENTS in s.name and "publish" in s.name
                )
                >= 3
            ),
            what="fact publish spans",
        )
    finally:
        await service.stop()

    root = _root(exporter)
    trace_id = root.context.trace_id
    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
    names = [s.name for s in spans]
    intake, events = settings.topic(topics.TENANT_INTAKE), settings.topic(topics.TENANT_EVENTS)
    assert f"{intake} publish" in names  # the CLI's publish
    assert f"{intake} process" in names  # the onboarding handler
    assert "webhook.verify" in names
    assert any(s.name == "POST" and s.kind.name == "CLIENT" for s in spans)  # the webhook HTTP call
    assert names.count(f"{events} publish") >= 3  # provisioned, verified, onboarded
    # The webhook request carried the same trace in its W3C traceparent header.
    (delivery,) = receiver.deliveries
    assert delivery.headers["traceparent"].split("-")[1] == format(trace_id, "032x")


def _root(exporter: InMemorySpanExporter):
    return next(s for s in exporter.get_finished_spans() if s.name == "onboard.batch")
