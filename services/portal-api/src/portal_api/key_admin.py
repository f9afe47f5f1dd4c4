"""API-key administration for a tenant's admins, shared by the JSON API and the web UI.

Each step authorizes (audited) before it touches anything; keys of another tenant are "not found".
"""

from __future__ import annotations

from typing import Any

from portal_api import api_keys
from portal_api.api_keys import KeyRole
from portal_api.authorization import Subject
from portal_api.errors import NotFoundError
from portal_api.runtime import Portal

ACTION = "apikey:manage"


async def create(portal: Portal, who: Subject, tenant: str, name: str, role: KeyRole, resource: str) -> dict[str, Any]:
    """A new key: its public record plus the secret token, which is shown this once and never stored."""
    await portal.authorize(who, tenant, ACTION, resource)
    key, token = api_keys.generate(tenant, name, role, created_by=who.id, now=portal.now())
    await portal.stored(portal.keys.insert_once(key.key_id, key))
    return {**key.public(), "key": token, "note": "store this key now: it is not shown again"}


async def listed(portal: Portal, who: Subject, tenant: str, resource: str, *, meter: bool = True) -> dict[str, Any]:
    """The tenant's keys, oldest first, without their hashes."""
    await portal.authorize(who, tenant, ACTION, resource, meter="api_calls" if meter else None)
    found = await portal.stored(portal.keys.find({"tenant": tenant}))
    return {"tenant": tenant, "api_keys": [k.public() for k in sorted(found, key=lambda k: k.created_at)]}


async def revoke(portal: Portal, who: Subject, tenant: str, key_id: str, resource: str) -> None:
    """Revoke a key of this tenant (idempotent); NotFoundError for any other key."""
    await portal.authorize(who, tenant, ACTION, resource)
    key = await portal.stored(portal.keys.get(key_id))
    if key is None or key.tenant != tenant:
        raise NotFoundError
    if key.revoked_at is None:
        await portal.stored(portal.keys.put(key_id, key.model_copy(update={"revoked_at": portal.now()})))
