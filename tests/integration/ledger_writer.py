"""A ledger writer process for the no-fork test: appends N entries in small batches, prints their indices."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from evidence.ledger_store import LedgerStore
from evidence.signing import PlatformKey
from pymongo import AsyncMongoClient


async def main(uri: str, db_name: str, tag: str, count: int, seed: int, start_at: float) -> None:
    rng = random.Random(seed)
    client: AsyncMongoClient = AsyncMongoClient(uri)
    db = client[db_name]
    store = LedgerStore(db["ledger_entries"], db["ledger_heads"], PlatformKey(ed25519.Ed25519PrivateKey.generate()),
                        lambda: datetime.now(UTC))  # fmt: skip
    await store.catch_up()  # connected and ready; then both writers start together
    await asyncio.sleep(max(0.0, start_at - time.time()))
    written: dict[str, int] = {}
    n = 0
    while n < count:
        batch = [{"kind": "evidence-pack", "subject": f"{tag}-{n + i}", "tenant": tag, "sha256": f"{n + i:064x}"}
                 for i in range(min(rng.randint(1, 8), count - n))]  # fmt: skip
        indices, _ = await store.append(batch)
        written.update({e["subject"]: i for e, i in zip(batch, indices, strict=True)})
        n += len(batch)
        # A builder appends once per pack, not in a tight loop; the pause also lets the other writer in
        # (SQLite's busy handler is not fair: a writer that never pauses starves the other).
        await asyncio.sleep(rng.uniform(0, 0.02))
    print(json.dumps(written))
    await client.close()


if __name__ == "__main__":
    uri, db_name, tag, count, seed, start_at = sys.argv[1:7]
    asyncio.run(main(uri, db_name, tag, int(count), int(seed), float(start_at)))
