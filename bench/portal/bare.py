"""The benchmark's baseline: one bare FastAPI route answering a small JSON document (no auth, no I/O)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/tenants/{tenant}/overview")
async def overview(tenant: str) -> dict[str, object]:
    """A document the size of the portal's answer."""
    return {
        "tenant": tenant,
        "onboarding": {"display_name": "Acme", "state": "onboarded", "cohort": "bench", "plan": "standard"},
        "withheld": [],
    }
