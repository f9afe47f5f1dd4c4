"""Onboarding's intake behaviour, whichever broker and stores it runs on.

`publish(request)` puts a TenantRequested on the intake topic; `tenant(slug)` reads the tenant's state;
`facts()` lists the tenant facts published so far (their type and id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from schemas.tenant import TenantRequested

Facts = Callable[[], Awaitable[list[tuple[str, str]]]]
State = Callable[[str], Awaitable[str | None]]


async def a_redelivered_request_provisions_one_tenant_and_repeats_the_same_fact(
    publish: Callable[[TenantRequested], Awaitable[None]],
    settle: Callable[[], Awaitable[None]],
    state: State,
    facts: Facts,
    request: TenantRequested,
) -> None:
    """The same request twice: one tenant, onboarded once, its TenantProvisioned published twice under one id."""
    await publish(request)
    await publish(request)
    await settle()
    assert await state(request.data.slug) == "onboarded"
    published = await facts()
    provisioned = [fact_id for kind, fact_id in published if kind.endswith("tenant.provisioned.v1")]
    assert len(provisioned) == 2 and len(set(provisioned)) == 1  # consumers keep it once
    assert [kind for kind, _ in published].count("io.trustportal.tenant.onboarded.v1") == 1
