"""API-key administration, shared by the JSON API and the web UI.

Each step is admitted by the gate (audited) before it touches anything. Creating a key hands out the
key's role, so the policy allows it only to a subject that holds every action of that role in the
tenant (tenant admins; platform staff may list and revoke keys but never create one). A key is a
resource owned by its tenant: the decision on revoking one names the key's own tenant.
"""

from __future__ import annotations

from typing import Any, get_args

from portal_api import api_keys
from portal_api.api_keys import ApiKeyRecord, KeyRole
from portal_api.authorization import Subject
from portal_api.errors import NotFoundError
from portal_api.gate import AccessGate
from portal_api.ports import Clock, WritableViews
from portal_api.reads import only, withheld


class KeyAdmin:
    """Creates, lists and revokes a tenant's API keys."""

    def __init__(self, gate: AccessGate, keys: WritableViews[ApiKeyRecord], clock: Clock) -> None:
        self.gate = gate
        self.keys = keys
        self.clock = clock

    async def create(self, who: Subject, tenant: str, name: str, role: KeyRole, resource: str) -> dict[str, Any]:
        """A new key: its public record plus the secret token, which is shown this once and never stored."""
        await self.gate.admit(who, tenant, "apikey:create", resource, attributes={"key_role": role})
        key, token = api_keys.generate(tenant, name, role, created_by=who.id, now=self.clock())
        await self.keys.insert_once(key.key_id, key)
        return {**key.public(), "key": token, "note": "store this key now: it is not shown again"}

    async def listed(self, who: Subject, tenant: str, resource: str) -> dict[str, Any]:
        """The tenant's keys, oldest first, without their hashes, as the presentation guard shows them."""
        access = await self.gate.admit(who, tenant, "apikey:read", resource)
        found = await self.keys.find({"tenant": tenant})
        rows = [only(k.public(), access) for k in sorted(found, key=lambda k: k.created_at)]
        grantable = [r for r in get_args(KeyRole) if self.gate.may(who, tenant, "apikey:create", {"key_role": r})]
        return {"tenant": tenant, "api_keys": rows, "grantable": grantable, "withheld": withheld(access)}

    async def revoke(self, who: Subject, tenant: str, key_id: str, resource: str) -> None:
        """Revoke a key of this tenant (idempotent); refused for another tenant's key, NotFoundError for none."""
        key = await self.keys.get(key_id)
        await self.gate.admit(who, tenant, "apikey:revoke", resource, owner=None if key is None else key.tenant)
        if key is None:
            raise NotFoundError
        if key.revoked_at is None:
            await self.keys.put(key_id, key.model_copy(update={"revoked_at": self.clock()}))
