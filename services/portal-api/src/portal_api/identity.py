"""Who a request comes from: a bearer credential (a user's JWT or a tenant's API key) to a Subject."""

from __future__ import annotations

from service_kit.caching import TtlCache

from portal_api import api_keys
from portal_api.api_keys import ApiKeyRecord
from portal_api.auth import TokenVerifier
from portal_api.authorization import Subject
from portal_api.errors import AuthenticationError
from portal_api.members import Member
from portal_api.ports import Views


class Identities:
    """Turns credentials into subjects with the roles the portal records (never the token's own claims)."""

    def __init__(self, verifier: TokenVerifier, members: TtlCache[str, Member | None], keys: Views[ApiKeyRecord]):
        self.verifier = verifier
        self.members = members
        self.keys = keys

    async def subject(self, token: str) -> Subject:
        """The subject of a bearer token; AuthenticationError when it proves nothing."""
        parsed = api_keys.parse(token)
        if parsed is None:
            user_id = self.verifier.user_id(token)
            member = await self.members.get(user_id)
            return member.subject() if member else Subject(id=user_id)
        key_id, secret = parsed
        record = await self.keys.get(key_id)
        if record is None or not api_keys.verify(record, secret):
            raise AuthenticationError("invalid or revoked API key")
        return Subject(id=f"apikey:{key_id}", kind="api_key", tenant_roles={record.tenant: (record.role,)})
