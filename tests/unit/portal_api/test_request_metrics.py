"""HTTP request metrics by route template, never by raw path (tenant slugs and ids stay out of labels)."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from portal_api.http_hardening import RequestMetrics
from prometheus_client import CollectorRegistry


def test_answers_are_counted_by_route_template_method_and_status_and_timed():
    app = FastAPI()

    @app.get("/api/v1/tenants/{tenant}/overview")
    async def overview(tenant: str) -> dict[str, str]:
        if tenant == "beta":
            raise HTTPException(403)
        return {"tenant": tenant}

    registry = CollectorRegistry()
    app.add_middleware(RequestMetrics, registry=registry)
    client = TestClient(app)
    for tenant in ("acme", "acme", "beta"):
        client.get(f"/api/v1/tenants/{tenant}/overview")
    client.get("/no/such/page")
    route = "/api/v1/tenants/{tenant}/overview"

    def count(**labels: str) -> float | None:
        return registry.get_sample_value("trustportal_http_requests_total", labels)

    assert count(route=route, method="GET", status="200") == 2
    assert count(route=route, method="GET", status="403") == 1
    assert count(route="unmatched", method="GET", status="404") == 1
    assert registry.get_sample_value("trustportal_http_request_duration_seconds_count",
                                     {"route": route, "method": "GET"}) == 3  # fmt: skip
    exposed = {s.labels.get("route") for m in registry.collect() for s in m.samples}
    assert not any(r and ("acme" in r or "beta" in r) for r in exposed)
