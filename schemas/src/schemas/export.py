"""Generate the JSON Schema of every event into schemas/json/ (`python -m schemas.export DIR`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from schemas.audit import AccessDecided
from schemas.billing import InvoiceIssued, PaymentReceived, UsageRecorded
from schemas.board import BoardPackBuilt, BoardPackFailed, BoardPackRequested
from schemas.envelope import CloudEvent
from schemas.evidence import Anchored, AnchorRequested, PackBuilt, PackFailed, PackRequested
from schemas.policy import PolicyBundlePublished, TrustPolicyUpdated
from schemas.provenance import ProvenanceRejected, ProvenanceSubmitted, ProvenanceVerified
from schemas.read_models import CohortMember, CohortView, SlsaAdoption, SlsaRepoStatus, TenantView
from schemas.revenue import RevenueReport
from schemas.runner import (
    HermeticJobFinished,
    HermeticJobQueued,
    HermeticJobStarted,
    RunnerQueueRecovered,
    RunnerQueueSaturated,
)
from schemas.sla import ProbeResult
from schemas.tenant import (
    TenantOnboarded,
    TenantProvisioned,
    TenantRejected,
    TenantRequested,
    WebhookVerificationFailed,
    WebhookVerified,
)

EVENTS: tuple[type[CloudEvent], ...] = (
    TenantRequested,
    TenantProvisioned,
    TenantRejected,
    WebhookVerified,
    WebhookVerificationFailed,
    TenantOnboarded,
    AccessDecided,
    PolicyBundlePublished,
    PackRequested,
    PackBuilt,
    PackFailed,
    AnchorRequested,
    Anchored,
    TrustPolicyUpdated,
    ProvenanceSubmitted,
    ProvenanceVerified,
    ProvenanceRejected,
    UsageRecorded,
    InvoiceIssued,
    PaymentReceived,
    ProbeResult,
    BoardPackRequested,
    BoardPackBuilt,
    BoardPackFailed,
    HermeticJobQueued,
    HermeticJobStarted,
    HermeticJobFinished,
    RunnerQueueSaturated,
    RunnerQueueRecovered,
)
READ_MODELS = (TenantView, CohortMember, CohortView, SlsaRepoStatus, SlsaAdoption, RevenueReport)


def documents() -> dict[str, str]:
    """File name -> JSON Schema text, for every event (by CloudEvents type) and read model."""
    docs: dict[str, str] = {}
    for event in EVENTS:
        schema = {"$id": f"urn:trustportal:schema:{event.TYPE}", **event.model_json_schema(mode="serialization")}
        docs[f"{event.TYPE}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    for model in READ_MODELS:
        schema = {"$id": f"urn:trustportal:read-model:{model.__name__}", **model.model_json_schema()}
        docs[f"read-model.{model.__name__}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return docs


def main() -> None:
    """Write every schema into the directory given (default: schemas/json)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "schemas/json")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.json"):
        stale.unlink()
    for name, text in documents().items():
        (out / name).write_text(text)
    print(f"wrote {len(documents())} schemas to {out}")


if __name__ == "__main__":
    main()
