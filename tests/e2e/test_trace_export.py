"""A trace leaves the process: the portal and the evidence service run as processes exporting OTLP/HTTP to a
receiver on loopback, and one flow — an HTTP write to the portal (a pack request), its Kafka publish, the
evidence service consuming it — arrives there as spans of both services under one trace id.

(A batch subscriber, such as slsa-watch's, starts a trace of its own per batch and links it to each
record's trace, as the OpenTelemetry messaging conventions have it; a per-record subscriber continues it.)"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from evidence.settings import EvidenceSettings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from pydantic import SecretStr
from service_kit.testing.launcher import ServiceProcess, env_for, free_port

from tests.integration.support import poll


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver: every span it is sent, as (service, trace id, name, kind)."""

    spans: list[tuple[str, str, str, int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            service = next((a.value.string_value for a in resource.resource.attributes if a.key == "service.name"), "")
            for scope in resource.scope_spans:
                for span in scope.spans:
                    Receiver.spans.append((service, span.trace_id.hex(), span.name, span.kind))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return None


def test_one_flow_from_an_http_write_through_kafka_to_the_consumer_is_one_exported_trace(
    issuer, portal_settings, tmp_path: Path
):
    Receiver.spans = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}", "OTEL_BSP_SCHEDULE_DELAY": "200"}
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    evidence_cfg = EvidenceSettings(
        kafka_bootstrap=portal_settings.kafka_bootstrap, mongo_uri=portal_settings.mongo_uri,
        mongo_db=portal_settings.mongo_db, topic_prefix=portal_settings.topic_prefix,
        signing_key=SecretStr(pem.decode()),
    )  # fmt: skip
    port = free_port()
    portal_env = env_for(portal_settings, PORTAL_METRICS_PORT=str(free_port()), **otel)
    portal = ServiceProcess(portal_env, tmp_path / "portal.log", port=port, command="portal-api",
                            port_env="PORTAL_HTTP_PORT")  # fmt: skip
    watch = ServiceProcess(env_for(evidence_cfg, **otel), tmp_path / "evidence.log", port=free_port(),
                           command="evidence", port_env="EVIDENCE_HTTP_PORT")  # fmt: skip
    portal.start(timeout_s=60)
    watch.start(timeout_s=60)
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/tenants/acme/evidence-packs", json={"period": "2026-11"},
                            headers=issuer.bearer("ana", {"acme": ["admin"]}), timeout=10)  # fmt: skip
        assert answer.status_code == 202, answer.text
        requested = portal_settings.topic("evidence.requests.v1")

        def one_trace() -> str | None:
            sent = {t for s, t, name, _ in Receiver.spans if s == "portal-api" and name == f"{requested} publish"}
            consumed = {t for s, t, name, _ in Receiver.spans if s == "evidence" and name == f"{requested} process"}
            return next(iter(sent & consumed), None)

        trace = poll(one_trace, timeout=60)
        seen = sorted({(s, t[:6], name) for s, t, name, _ in Receiver.spans if "requests" in name or "POST" in name})
        assert trace, f"no trace holds both the portal's publish and the evidence service's consume: {seen}"
        mine = [(s, name, kind) for s, t, name, kind in Receiver.spans if t == trace]
        server_kind = Span.SpanKind.SPAN_KIND_SERVER
        assert any(s == "portal-api" and name.startswith("POST") and k == server_kind for s, name, k in mine), mine
        assert {s for s, _, _ in mine} == {"portal-api", "evidence"}, mine
    finally:
        watch.stop()
        portal.stop()
        server.shutdown()
        server.server_close()
