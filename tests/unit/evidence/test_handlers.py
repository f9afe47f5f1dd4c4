"""The evidence service's handlers on fakes: what is evidence is kept, a poison record goes to the DLQ alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evidence import handlers
from evidence.items import StoredItem
from schemas.evidence import (
    Anchored,
    AnchoredData,
    AnchorRequested,
    AnchorRequestedData,
    PackFailed,
    PackFailedData,
    PackRequested,
    PackRequestedData,
)
from schemas.policy import TrustedBuilder, TrustedKey, TrustPolicyUpdated, TrustPolicyUpdatedData
from schemas.tenant import TenantRequested, TenantRequestedData
from service_kit.testing import RecordingPublisher

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
)


class RecordingLog:
    def __init__(self) -> None:
        self.items: list[StoredItem] = []

    async def append(self, items) -> None:
        self.items.extend(items)


class FailingBuilder:
    async def build(self, request: PackRequested) -> PackFailed:
        data = PackFailedData(
            pack_request_id=request.data.pack_request_id, period=request.data.period, reason="none", failed_at=NOW
        )
        return PackFailed.create(data=data, source="/tests", tenantid=request.tenantid, time=NOW)


class RecordingAnchors:
    def __init__(self) -> None:
        self.requests: list[AnchorRequested] = []

    async def anchor(self, request: AnchorRequested) -> Anchored:
        self.requests.append(request)
        data = AnchoredData(anchor_id=request.data.anchor_id, kind="board-pack", subject=request.data.subject,
                            sha256=request.data.sha256, ledger_index=7, inclusion_proof={}, tree_head={},
                            anchored_at=NOW)  # fmt: skip
        return Anchored.create(data=data, source="/tests", tenantid="platform", time=NOW)


def deps() -> tuple[handlers.Deps, RecordingLog, RecordingPublisher, list[tuple[Any, BaseException]]]:
    log, outcomes, dead = RecordingLog(), RecordingPublisher(), []

    async def dead_letter(record: Any, error: BaseException) -> None:
        dead.append((record, error))

    return (
        handlers.Deps(
            items=log, builder=FailingBuilder(), anchors=RecordingAnchors(), outcomes=outcomes, dead_letter=dead_letter
        ),
        log,
        outcomes,
        dead,
    )


def trust_policy(tenant: str) -> TrustPolicyUpdated:
    data = TrustPolicyUpdatedData(
        policy_id="p1", keys=(TrustedKey(key_id="k", algorithm="ed25519", public_key_pem=PEM),),
        builders=(TrustedBuilder(id="https://ci.example/b"),), source_repositories=("github.com/acme/robot",),
        updated_by="ana", updated_at=NOW,
    )  # fmt: skip
    return TrustPolicyUpdated.create(data=data, source="/tests", tenantid=tenant, subject="/p", time=NOW)


async def test_a_batch_keeps_what_is_evidence_and_dead_letters_only_the_poison_record():
    d, log, _, dead = deps()
    request = TenantRequested.create(
        data=TenantRequestedData(slug="acme", webhook_url="https://h.example/w", requested_at=NOW),
        source="/tests", tenantid="acme", time=NOW,
    )  # fmt: skip
    bodies = [trust_policy("acme").to_json(), b"{not json", request.to_json(), trust_policy("platform").to_json()]
    kept = await handlers.on_evidence(bodies, ["r0", "r1", "r2", "r3"], d)
    assert kept == 1 and [i.tenant for i in log.items] == ["acme"]  # a request and a platform-keyed policy are not
    assert [record for record, _ in dead] == ["r1"]


async def test_a_pack_request_is_answered_with_the_builders_outcome():
    d, _, outcomes, _ = deps()
    data = PackRequestedData(pack_request_id="req-1", period="2026-11", requested_by="ana", requested_at=NOW)
    await handlers.on_request(PackRequested.create(data=data, source="/tests", tenantid="acme", time=NOW), d)
    assert outcomes.types == [PackFailed.TYPE] and outcomes.events[0].tenantid == "acme"


async def test_an_anchor_request_is_answered_with_the_digests_place_in_the_ledger():
    d, _, outcomes, _ = deps()
    data = AnchorRequestedData(anchor_id="a1", kind="board-pack", subject="board-2026-05.pdf", sha256="e" * 64,
                               requested_at=NOW)  # fmt: skip
    await handlers.on_request(AnchorRequested.create(data=data, source="/tests", tenantid="platform", time=NOW), d)
    assert outcomes.types == [Anchored.TYPE]
    assert outcomes.events[0].data.sha256 == "e" * 64 and outcomes.events[0].data.ledger_index == 7
