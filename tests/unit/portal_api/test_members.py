import asyncio
from pathlib import Path

import pytest
from portal_api.members import Member, load_members
from pydantic import ValidationError
from service_kit.caching import TtlCache


def test_the_dev_users_file_is_a_valid_member_list():
    members = load_members(Path("examples/portal-users.json"))
    assert {m.id for m in members} >= {"ana@acme-robotics", "ops@trustportal"}
    cy = next(m for m in members if m.id == "cy@cobalt-sys").subject()
    assert cy.tenants() == ["cobalt-sys", "delta-forge"]


def test_an_unknown_role_is_refused(tmp_path: Path):
    path = tmp_path / "m.json"
    path.write_text('[{"id": "x", "tenant_roles": {"acme": ["owner"]}}]')
    with pytest.raises(ValidationError, match="owner"):
        load_members(path)


def test_memberships_are_reused_for_their_ttl_then_asked_again():
    asked: list[str] = []
    now = [0.0]

    async def lookup(user_id: str) -> Member | None:
        asked.append(user_id)
        return Member(id=user_id, tenant_roles={"acme": ("viewer",)})

    cache: TtlCache[str, Member | None] = TtlCache(lookup, ttl_s=5, clock=lambda: now[0])

    async def run() -> None:
        await cache.get("a")
        await cache.get("a")
        now[0] = 6.0
        await cache.get("a")

    asyncio.run(run())
    assert asked == ["a", "a"]
