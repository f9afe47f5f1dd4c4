"""Kafka topic names: one per context and direction; each has a `<topic>.dlq` twin."""

from typing import Final

TENANT_INTAKE: Final = "tenant.intake.v1"
TENANT_EVENTS: Final = "tenant.events.v1"
AUDIT_EVENTS: Final = "audit.events.v1"
POLICY_EVENTS: Final = "policy.events.v1"
EVIDENCE_REQUESTS: Final = "evidence.requests.v1"
EVIDENCE_EVENTS: Final = "evidence.events.v1"
PROVENANCE_SUBMITTED: Final = "provenance.submitted.v1"
PROVENANCE_EVENTS: Final = "provenance.events.v1"
BILLING_EVENTS: Final = "billing.events.v1"
RUNNER_EVENTS: Final = "runner.events.v1"
SLA_EVENTS: Final = "sla.events.v1"
BOARD_REQUESTS: Final = "board.requests.v1"
BOARD_EVENTS: Final = "board.events.v1"


def dlq(topic: str) -> str:
    """Return the dead-letter topic of `topic`."""
    return f"{topic}.dlq"
