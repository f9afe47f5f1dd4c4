"""The benchmark's peer design: the same portal, authorising through an OPA server over HTTP.

Most services that use OPA run it as a sidecar and ask its REST API for each decision
(POST /v1/data/<package>/<rule> with the input). This process is the portal built exactly as
deployed, from the same environment, except that its gate's policy is such a client (one pooled
keep-alive connection set to `PEER_OPA_URL`), asking the same bundle's `data.portal.decision.result`.

    uvicorn peer:app --app-dir bench/portal --factory
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import FastAPI
from portal_api.app import build_app
from portal_api.authorization import Verdict
from portal_api.policy import PolicyBundle, PolicyEngine, PolicyError
from portal_api.settings import PortalSettings


class OpaOverHttp:
    """The gate's Policy port over OPA's REST API."""

    def __init__(self, url: str, sha256: str) -> None:
        self.url = url.rstrip("/")
        self.sha256 = sha256
        self.client = httpx.AsyncClient(timeout=2.0, limits=httpx.Limits(max_keepalive_connections=32))
        self.sync = httpx.Client(timeout=2.0)

    async def verdict(self, document: Mapping[str, Any]) -> Verdict:
        answer = await self.client.post(f"{self.url}/v1/data/portal/decision/result", json={"input": document})
        result = answer.json().get("result")
        if not isinstance(result, dict):
            raise PolicyError(f"OPA answered {answer.status_code}: {answer.text[:200]}")
        return Verdict.of(result)

    def allow(self, document: Mapping[str, Any]) -> bool:
        answer = self.sync.post(f"{self.url}/v1/data/portal/authz/allow", json={"input": document})
        return answer.json().get("result") is True


def app() -> FastAPI:
    """The peer portal (a uvicorn factory), with the same gc.freeze() after start-up as `portal-api`."""
    engine = PolicyEngine(PolicyBundle.load())
    built = build_app(PortalSettings(), engine=engine, policy=OpaOverHttp(os.environ["PEER_OPA_URL"], engine.sha256))
    gc.collect()
    gc.freeze()
    return built
