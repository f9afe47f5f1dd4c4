"""API-key administration, shared by the JSON API and the web UI.

Each step authorizes (audited) before it touches anything. Creating a key hands out the key's role,
so the policy allows it only to a subject that holds every action of that role in the tenant
(tenant admins; platform staff may list and revoke keys but never create one). A key is a resource
owned by its tenant: the decision on revoking one names the key's own tenant.
"""

from __future__ import annotations

from typing import Any, get_args

from portal_api import api_keys
from portal_api.api_keys import KeyRole
from portal_api.authorization import Subject
from portal_api.errors import NotFoundError
from portal_api.reads import only, withheld
from portal_api.runtime import Portal


async def create(portal: Portal, who: Subject, tenant: str, name: str, role: KeyRole, resource: str) -> dict[str, Any]:
    """A new key: its public record plus the secret token, which is shown this once and never stored."""
    await portal.authorize(who, tenant, "apikey:create", resource, attributes={"key_role": role})
    key, token = api_keys.generate(tenant, name, role, created_by=who.id, now=portal.now())
    await portal.stored(portal.keys.insert_once(key.key_id, key))
    return {**key.public(), "key": token, "note": "store this key now: it is not shown again"}


async def listed(portal: Portal, who: Subject, tenant: str, resource: str, *, meter: bool = True) -> dict[str, Any]:
    """The tenant's keys, oldest first, without their hashes, as the presentation guard shows them."""
    access = await portal.authorize(who, tenant, "apikey:read", resource, meter="api_calls" if meter else None)
    found = await portal.stored(portal.keys.find({"tenant": tenant}))
    rows = [only(k.public(), access) for k in sorted(found, key=lambda k: k.created_at)]
    grantable = [r for r in get_args(KeyRole) if portal.may(who, tenant, "apikey:create", {"key_role": r})]
    return {"tenant": tenant, "api_keys": rows, "grantable": grantable, "withheld": withheld(access)}


async def revoke(portal: Portal, who: Subject, tenant: str, key_id: str, resource: str) -> None:
    """Revoke a key of this tenant (idempotent); refused for another tenant's key, NotFoundError for none."""
    key = await portal.stored(portal.keys.get(key_id))
    await portal.authorize(who, tenant, "apikey:revoke", resource, owner=None if key is None else key.tenant)
    if key is None:
        raise NotFoundError
    if key.revoked_at is None:
        await portal.stored(portal.keys.put(key_id, key.model_copy(update={"revoked_at": portal.now()})))
