"""OpenTelemetry tracer provider: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set."""

from __future__ import annotations

import os

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

__all__ = ["build_tracer_provider"]


def build_tracer_provider(service: str, *extra: SpanProcessor) -> TracerProvider:
    """Build a tracer provider for `service`; tests pass an in-memory exporter's processor."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for processor in extra:
        provider.add_span_processor(processor)
    return provider
