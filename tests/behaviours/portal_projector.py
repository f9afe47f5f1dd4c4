"""The portal projector's behaviour, whichever broker and stores it runs on.

`publish(event, topic)` puts an event on a topic (logical name); `settle()` waits until the projector has
handled what was published; the stores are the projector's (in memory, or MongoDB).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from portal_api import handlers
from schemas.audit import AccessDecided, AccessDecidedData
from schemas.billing import PaymentReceived, PaymentReceivedData
from schemas.board import BoardPackBuilt, BoardPackBuiltData, BoardPackFailed, BoardPackFailedData, Check
from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.provenance import ProvenanceRejected, ProvenanceRejectedData, ProvenanceVerified, ProvenanceVerifiedData
from schemas.tenant import PLATFORM_TENANT

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


def payment(payment_id: str, amount_minor: int) -> PaymentReceived:
    data = PaymentReceivedData(
        payment_id=payment_id, invoice_id="inv-acme-2026-11", amount_minor=amount_minor, currency="EUR",
        received_at=NOW, method="bank_transfer",
    )  # fmt: skip
    return PaymentReceived.create(data=data, source="/tests", tenantid="acme", subject="/payments", time=NOW)


def board_outcomes() -> tuple[BoardPackBuilt, BoardPackFailed]:
    checks = (Check(name="sources: revenue", ok=True, detail="12 invoices"),)
    built = BoardPackBuilt.create(
        data=BoardPackBuiltData(
            request_id="req-built", period="2026-11", file_name="board-2026-11.pdf", sha256="a" * 64, size=48_000,
            complete=True, checks=checks, ledger_index=7, inclusion_proof={"leaf_index": 7},
            tree_head={"tree_size": 8}, built_at=NOW,
        ),
        source="/tests", tenantid=PLATFORM_TENANT, time=NOW,
    )  # fmt: skip
    failed = BoardPackFailed.create(
        data=BoardPackFailedData(
            request_id="req-failed", period="2026-10", reason="incomplete: links: portal unreachable",
            checks=(Check(name="links: portal", ok=False, detail="unreachable"),), failed_at=NOW,
        ),
        source="/tests", tenantid=PLATFORM_TENANT, time=NOW,
    )  # fmt: skip
    return built, failed


async def payments_count_once_and_board_packs_are_kept_built_or_refused(
    publish: Publish, settle: Callable[[], Awaitable[None]], deps: handlers.Deps
) -> None:
    """A payment re-imported (a second event, the same payment id) counts once; both board outcomes are kept."""
    await publish(payment("pay-1", 50_000), topics.BILLING_EVENTS)
    await publish(payment("pay-1", 50_000), topics.BILLING_EVENTS)
    await publish(payment("pay-2", 20_000), topics.BILLING_EVENTS)
    built, failed = board_outcomes()
    for event in (built, failed, built):
        await publish(event, topics.BOARD_EVENTS)
    await settle()
    paid = await deps.payments.find({"tenant": "acme"})
    assert sorted((p.payment_id, p.amount_minor) for p in paid) == [("pay-1", 50_000), ("pay-2", 20_000)]
    packs = {p.request_id: p for p in await deps.board_packs.find({})}
    assert packs.keys() == {"req-built", "req-failed"}
    assert (packs["req-built"].state, packs["req-built"].ledger_index, packs["req-built"].complete) == (
        "built",
        7,
        True,
    )
    assert packs["req-failed"].state == "failed" and "portal unreachable" in packs["req-failed"].reason


def verdicts() -> tuple[ProvenanceVerified, ProvenanceRejected]:
    verified = ProvenanceVerified.create(
        data=ProvenanceVerifiedData(
            submission_id="sub-ok", repo="github.com/acme/robot", artifact_name="robot.tar.gz",
            artifact_sha256="b" * 64, builder_id="https://ci.example/hermetic", source_repo="github.com/acme/robot",
            source_ref="refs/tags/v1", build_level=3, hermetic=True, dependencies_pinned=True, signed_by="k1",
            policy_id="p-1", verified_at=NOW,
        ),
        source="/tests", tenantid="acme", time=NOW,
    )  # fmt: skip
    rejected = ProvenanceRejected.create(
        data=ProvenanceRejectedData(
            submission_id="sub-bad", repo="github.com/acme/robot", artifact_name="robot.tar.gz",
            artifact_sha256="c" * 64, reasons=("subject: the artifact's sha256 is not a subject",), build_level=0,
            rejected_at=NOW,
        ),
        source="/tests", tenantid="acme", time=NOW,
    )  # fmt: skip
    return verified, rejected


async def each_submission_keeps_its_one_verdict(
    publish: Publish, settle: Callable[[], Awaitable[None]], deps: handlers.Deps
) -> None:
    """A verdict delivered twice is kept once; verified and rejected verdicts keep their level, checks and reasons."""
    verified, rejected = verdicts()
    for event in (verified, rejected, verified):
        await publish(event, topics.PROVENANCE_EVENTS)
    await settle()
    kept = {v.submission_id: v for v in await deps.verdicts.find({"tenant": "acme"})}
    assert kept.keys() == {"sub-ok", "sub-bad"}
    ok, bad = kept["sub-ok"], kept["sub-bad"]
    assert (ok.status, ok.build_level, ok.hermetic, ok.dependencies_pinned) == ("verified", 3, True, True)
    assert (bad.status, bad.build_level, bad.reasons) == ("rejected", 0, rejected.data.reasons)
