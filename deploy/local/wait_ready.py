"""Wait until the local Kafka broker answers a metadata request and FerretDB answers a ping."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path


def _alive(pidfile: str) -> bool:
    try:
        os.kill(int(Path(pidfile).read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


async def _kafka_ready(bootstrap: str) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.describe_cluster()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


def _mongo_ready(uri: str) -> bool:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(uri, serverSelectionTimeoutMS=2000)
    try:
        client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        client.close()


def main() -> int:
    """Poll both servers until ready, a process died, or the timeout passed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--mongo", required=True)
    parser.add_argument("--kafka-pid", required=True)
    parser.add_argument("--mongo-pid", required=True)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    deadline = time.monotonic() + args.timeout
    kafka_ok = mongo_ok = False
    while time.monotonic() < deadline:
        for name, pidfile in (("kafka", args.kafka_pid), ("ferretdb", args.mongo_pid)):
            if not _alive(pidfile):
                print(f"stack: {name} exited during start-up; its log follows", file=sys.stderr)
                return 1
        mongo_ok = mongo_ok or _mongo_ready(args.mongo)
        kafka_ok = kafka_ok or asyncio.run(_kafka_ready(args.kafka))
        if kafka_ok and mongo_ok:
            print(f"stack: ready (kafka {args.kafka}, mongo {args.mongo})")
            return 0
        time.sleep(0.5)
    waiting = [n for n, ok in (("kafka", kafka_ok), ("ferretdb", mongo_ok)) if not ok]
    print(f"stack: not ready after {args.timeout:.0f}s: {', '.join(waiting)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
