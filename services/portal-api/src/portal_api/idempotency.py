"""Idempotency-Key for writes: the same key and body replay the first answer; another body is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import Field
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from schemas.envelope import Contract, UtcDatetime

from portal_api.errors import IdempotencyConflictError


class StoredAnswer(Contract):
    """The first answer given under an idempotency key (collection `portal_idempotency`)."""

    request_sha256: str
    status_code: int
    body: dict[str, Any] = Field(default_factory=dict)
    created_at: UtcDatetime


def fingerprint(method: str, path: str, body: Any) -> str:
    """sha256 of the request that a key stands for."""
    canonical = json.dumps({"method": method, "path": path, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    """Keys are scoped to tenant and subject, so no one can replay another's answer."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    @staticmethod
    def scoped(tenant: str, subject: str, key: str) -> str:
        """The document id of a key."""
        return f"{tenant}\x1f{subject}\x1f{key}"

    async def replay(self, scoped_key: str, request_sha256: str) -> StoredAnswer | None:
        """The stored answer for this key, if any; raise when the key stood for another request."""
        doc = await self.collection.find_one({"_id": scoped_key})
        if doc is None:
            return None
        answer = StoredAnswer.model_validate(doc)
        if answer.request_sha256 != request_sha256:
            raise IdempotencyConflictError("this Idempotency-Key was already used with a different request")
        return answer

    async def remember(self, scoped_key: str, answer: StoredAnswer) -> StoredAnswer:
        """Store the first answer; if a concurrent request stored one first, return that one."""
        try:
            await self.collection.insert_one({**answer.model_dump(), "_id": scoped_key})
        except DuplicateKeyError:
            existing = await self.replay(scoped_key, answer.request_sha256)
            assert existing is not None
            return existing
        return answer
