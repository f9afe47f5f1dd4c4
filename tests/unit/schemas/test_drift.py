import importlib
import json
import pkgutil
from pathlib import Path

import jsonschema
import pytest
from schemas.export import EVENTS, documents

ROOT = Path(__file__).resolve().parents[3]


def test_committed_json_schemas_match_the_models():
    committed = {p.name: p.read_text() for p in (ROOT / "schemas/json").glob("*.json")}
    generated = documents()
    assert sorted(committed) == sorted(generated), "run `make schemas` and commit schemas/json/"
    drifted = [name for name in generated if committed[name] != generated[name]]
    assert not drifted, f"schemas/json/ drifted from the models: {drifted}; run `make schemas`"


def test_every_event_serialises_to_something_its_schema_accepts():
    from datetime import UTC, datetime

    from schemas.tenant import TenantRequested, TenantRequestedData

    event = TenantRequested.create(
        data=TenantRequestedData(slug="acme", webhook_url="https://x", requested_at=datetime.now(UTC)),
        source="/tests",
        tenantid="acme",
        time=datetime.now(UTC),
    )
    schema = json.loads(documents()[f"{TenantRequested.TYPE}.json"])
    jsonschema.validate(json.loads(event.to_json()), schema)


def test_every_event_class_in_the_contracts_is_exported():
    from schemas.envelope import CloudEvent

    import schemas

    defined = set()
    for info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"schemas.{info.name}")
        defined |= {
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, CloudEvent) and v is not CloudEvent
        }
    assert defined == set(EVENTS)


@pytest.mark.parametrize("service", ["onboarding", "slsa_watch", "evidence", "board"])
def test_the_committed_asyncapi_document_matches_the_service(service):
    asyncapi = importlib.import_module(f"{service}.app").asyncapi
    generated = asyncapi().schema.to_specification().to_jsonable()
    committed = json.loads((ROOT / f"schemas/asyncapi/{service.replace('_', '-')}.json").read_text())
    assert committed == json.loads(json.dumps(generated)), "run `make schemas` and commit schemas/asyncapi/"
