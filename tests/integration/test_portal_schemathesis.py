"""Property-based calls of every operation in the portal's OpenAPI document: no input gives a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_api.app import build_app


@pytest.fixture
def portal_client(portal_settings):
    with TestClient(build_app(portal_settings)) as client:
        yield client


# schemathesis draws some values with the `random` module inside its strategies; Hypothesis warns about that.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
def test_no_input_to_any_operation_gives_a_server_error(portal_client, issuer):
    schema = schemathesis.openapi.from_dict(portal_client.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 12
    strategy = st.one_of(*(operation.as_strategy() for operation in operations))

    @given(case=strategy, roles=st.sampled_from([{"acme": ["admin"]}, {"beta": ["viewer"]}, {}]))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case, roles):
        case.headers = {**(case.headers or {}), "authorization": f"Bearer {issuer.token('fuzz', roles)}"}
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        kwargs.pop("cookies", None)  # no operation reads cookies yet; httpx deprecates per-request cookies
        response = portal_client.request(**kwargs)
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])

    call()
