"""The SLSA watch unit tests read the shared test vectors; they fail, never skip, without them."""

from __future__ import annotations

import pytest

from tests.unit.slsa_watch.vectors import VECTORS, VSA


@pytest.fixture(autouse=True)
def vectors_present() -> None:
    if not VSA.exists():
        pytest.fail(f"the slsa-verifier test vectors are missing: expected them in {VECTORS}")
