"""A ledger writer process for the no-fork test: appends N entries in small batches, prints their indices."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from evidence.ledger_store import LedgerStore
from evidence.signing import PlatformKey
from pymongo import AsyncMongoClient


async def main(uri: str, db_name: str, tag: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    client: AsyncMongoClient = AsyncMongoClient(uri)
    db = client[db_name]
    store = LedgerStore(db["ledger_entries"], db["ledger_heads"], PlatformKey(ed25519.Ed25519PrivateKey.generate()),
                        lambda: datetime.now(UTC))  # fmt: skip
    written: dict[str, int] = {}
    n = 0
    while n < count:
        batch = [{"kind": "evidence-pack", "subject": f"{tag}-{n + i}", "tenant": tag, "sha256": f"{n + i:064x}"}
                 for i in range(min(rng.randint(1, 8), count - n))]  # fmt: skip
        indices, _ = await store.append(batch)
        written.update({e["subject"]: i for e, i in zip(batch, indices, strict=True)})
        n += len(batch)
    print(json.dumps(written))
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
