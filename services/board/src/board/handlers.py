"""What the board does with each consumed batch; routes.py calls these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.billing import BILLING_FACTS
from schemas.board import BoardPackRequested
from schemas.evidence import AnchorRequested
from schemas.sla import SLA_FACTS
from service_kit.decoding import decode_each

from board import projections
from board.facts import fact_of
from board.ports import DeadLetter, EventPublisher, Facts, Invoices, PackMaker, Payments, ProbeHours


@dataclass(frozen=True)
class Deps:
    """What the handlers need, built once in app.py."""

    invoices: Invoices
    payments: Payments
    probe_hours: ProbeHours
    facts: Facts
    packs: PackMaker
    board_events: EventPublisher
    evidence_requests: EventPublisher
    dead_letter: DeadLetter


async def on_billing(bodies: Sequence[bytes], records: Sequence[Any], deps: Deps) -> tuple[int, int]:
    """Keep a fetched batch's invoices and payments, each once (a record that does not decode goes to the DLQ alone).

    Returns how many invoices and payments were new.
    """
    decoded = await decode_each(bodies, records, BILLING_FACTS.validate_json, deps.dead_letter)
    invoices, payments = projections.billing_records([event for event, _ in decoded])
    return await deps.invoices.insert_many_once(invoices), await deps.payments.insert_many_once(payments)


async def on_sla(bodies: Sequence[bytes], records: Sequence[Any], deps: Deps) -> int:
    """Keep a fetched batch's probe results, one columnar document per target and hour it touches, in one insert.

    Insert-only: no document is read back or rewritten, so a batch costs one round trip however many
    hours it spans; a redelivered batch inserts nothing. Returns how many documents were new.
    """
    decoded = await decode_each(bodies, records, SLA_FACTS.validate_json, deps.dead_letter)
    return await deps.probe_hours.insert_many_once(projections.probe_chunks([event for event, _ in decoded]))


async def on_facts(bodies: Sequence[bytes], records: Sequence[Any], deps: Deps) -> int:
    """Keep the facts of a fetched batch of tenant, provenance, evidence and policy events, each once; how many new.

    A board pack's digest anchored in the ledger completes that pack: BoardPackBuilt is announced.
    """
    decoded = await decode_each(bodies, records, fact_of, deps.dead_letter)
    facts = [fact for fact, _ in decoded if fact is not None]
    new = await deps.facts.insert_many_once([(fact.id, fact) for fact in facts])
    for fact in facts:
        if fact.kind == "anchored" and (built := await deps.packs.anchored(fact)) is not None:
            await deps.board_events.publish(built)
    return new


async def on_pack_requested(event: BoardPackRequested, deps: Deps) -> None:
    """Render the requested pack and ask for its digest in the ledger; or announce why it was not built."""
    outcome = await deps.packs.start(event)
    if isinstance(outcome, AnchorRequested):
        await deps.evidence_requests.publish(outcome)
    else:
        await deps.board_events.publish(outcome)
