"""The portal projector's behaviour, whichever broker and stores it runs on.

`publish(event, topic)` puts an event on a topic (logical name); `settle()` waits until the projector has
handled what was published; the stores are the projector's (in memory, or MongoDB).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from portal_api import handlers
from schemas.audit import AccessDecided, AccessDecidedData
from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData

from schemas import topics

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
)
Publish = Callable[[object, str], Awaitable[None]]


def decision(n: int) -> AccessDecided:
    return AccessDecided.create(
        data=AccessDecidedData(
            subject=f"user-{n}", subject_kind="user", tenant="acme", action="overview:read",
            resource="/tenants/acme/overview", allowed=True, policy_bundle_sha256="0" * 64, decided_at=NOW,
        ),
        source="/tests", tenantid="acme", subject="/tenants/acme/overview", time=NOW,
    )  # fmt: skip


def policy(at: datetime, builder: str) -> TrustPolicyUpdated:
    data = TrustPolicyUpdatedData(
        policy_id=f"p-{builder}", keys=(TrustedKey(key_id="k1", algorithm="ed25519", public_key_pem=PEM),),
        builders=(TrustedBuilder(id=builder),), source_repositories=("github.com/acme/robot",),
        updated_by="ana", updated_at=at,
    )  # fmt: skip
    return TrustPolicyUpdated.create(data=data, source="/tests", tenantid="acme", subject="/tenants/acme", time=at)


async def decisions_are_filed_once_and_the_newest_policy_wins(
    publish: Publish, settle: Callable[[], Awaitable[None]], deps: handlers.Deps
) -> None:
    """Three decisions (one delivered twice) give three Audit entries; an older policy after a newer one is ignored."""
    first = decision(1)
    for event in (first, decision(2), first, decision(3)):
        await publish(event, topics.AUDIT_EVENTS)
    await publish(policy(NOW, "https://ci.example/new"), topics.POLICY_EVENTS)
    await publish(policy(NOW - timedelta(hours=1), "https://ci.example/old"), topics.POLICY_EVENTS)
    await settle()
    entries = await deps.audit.find({"tenant": "acme"})
    assert sorted(e.subject for e in entries) == ["user-1", "user-2", "user-3"]
    current = await deps.trust_policies.get("acme")
    assert current is not None and [b.id for b in current.builders] == ["https://ci.example/new"]
