"""Benchmark: a tenant-scoped read through the whole portal, against a bare FastAPI route in the same run.

The portal runs as deployed: an API process (uvicorn, one worker, PORTAL_ROLE=api) and a projector
process folding the audit trail (PORTAL_ROLE=projector), with the trace sampler of the Kubernetes
manifests, on the local stack; this script is the load generator, another process on loopback.
Each portal request verifies an ES256 JWT (remembered once verified), looks up the membership
(cached for seconds), counts two rate-limit windows, asks the Rego policy and the presentation
guard, publishes the AccessDecided record to Kafka (acks=all) and reads the tenant from MongoDB.
The baseline is a bare FastAPI route in its own uvicorn process, driven by the same client.

Prints: closed-loop throughput (requests/s, p50/p99) of both and their ratio; the portal's p50/p99 at a
fixed 300 requests/s (open loop: latency counted from each request's scheduled time, so a stall is not
hidden); in-process Rego decisions/s.

    make bench-portal       (or: uv run python bench/portal/run.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from portal_api.policy import PolicyBundle, PolicyEngine
from portal_api.settings import PortalSettings
from pymongo import MongoClient
from service_kit.launcher import ServiceProcess, env_for, free_port

sys.path.insert(0, str(Path(__file__).parent))
import load

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench/results/portal.json"
TARGET_P99_MS = 50.0
TARGET_RATE = 300
TARGET_RATIO = 0.25
ISSUER, AUDIENCE = "https://id.bench", "trust-portal"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Identity:
    """An ES256 issuer whose JWKS the portal trusts, and one member's token."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = json.dumps({"keys": [{**jwk, "kid": "bench", "use": "sig", "alg": "ES256"}]})

    def token(self, sub: str) -> str:
        now = datetime.now(UTC)
        claims = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + timedelta(hours=1)}
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": "bench"})


def seed(settings: PortalSettings) -> None:
    with MongoClient(settings.mongo_uri, tz_aware=True) as mongo:
        db = mongo[settings.mongo_db]
        db["onboarding_tenants"].insert_one(
            {"_id": "acme", "slug": "acme", "display_name": "Acme", "contact_email": "ops@acme.example",
             "plan": "standard", "cohort": "bench", "webhook_url": "https://hooks.acme.example/h",
             "state": "onboarded", "request_id": "r", "requested_at": datetime.now(UTC)}
        )  # fmt: skip
        db["portal_users"].insert_one(
            {"_id": "bench@acme", "id": "bench@acme", "tenant_roles": {"acme": ["viewer"]}, "platform_roles": []}
        )


def summary(sample: load.Sample, elapsed: float) -> dict[str, float]:
    return {
        "rps": len(sample.latencies) / elapsed,
        "p50_ms": pct(sample.latencies, 0.5) * 1000,
        "p99_ms": pct(sample.latencies, 0.99) * 1000,
        "errors": sample.errors,
        "statuses": {str(k): v for k, v in sorted(sample.statuses.items())},
        "requests": len(sample.latencies),
    }


def closed_loop(url: str, headers: dict[str, str], seconds: float, concurrency: int) -> dict[str, float]:
    """As fast as `concurrency` keep-alive clients go."""
    return summary(*asyncio.run(load.closed_loop(url, headers, seconds, concurrency)))


def open_loop(url: str, headers: dict[str, str], rate: float, seconds: float) -> dict[str, float]:
    """A fixed `rate` of requests per second."""
    return summary(*asyncio.run(load.open_loop(url, headers, rate, seconds)))


def rego_decisions_per_second(seconds: float = 2.0, *, memo: bool = False) -> float:
    """`allow` decisions per second in this process: evaluated by rego-cpp each time, or memoised."""
    engine = PolicyEngine(PolicyBundle.load())
    query = {
        "subject": {"id": "u", "tenant_roles": {"acme": ["viewer"]}, "platform_roles": []},
        "tenant": "acme",
        "action": "overview:read",
        "resource": {"tenant": "acme"},
    }
    n = 0
    stop = time.perf_counter() + seconds
    began = time.perf_counter()
    while time.perf_counter() < stop:
        for _ in range(100):
            engine.allow(query, memo=memo)
        n += 100
    return n / (time.perf_counter() - began)


def deployed_tracing() -> dict[str, str]:
    """The trace sampler the Kubernetes manifests configure, so the benchmark measures what runs."""
    config = yaml.safe_load((ROOT / "deploy/k8s/base/portal-api/configmap.yaml").read_text())["data"]
    return {k: v for k, v in config.items() if k.startswith("OTEL_TRACES_SAMPLER")}


def start_bare(port: int, log: Path) -> subprocess.Popen[bytes]:
    """The baseline: a bare FastAPI route, one uvicorn worker, same flags as the portal."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bare:app", "--app-dir", str(Path(__file__).parent),
             "--port", str(port), "--no-access-log", "--log-level", "warning"],
            stdout=out,
            stderr=out,
        )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/tenants/acme/overview", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"bench: the bare route did not start; see {log}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each measurement.")
    parser.add_argument("--concurrency", type=int, default=16, help="Clients in the closed-loop runs.")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    identity = Identity()
    settings = PortalSettings(
        mongo_db=f"bench_{run}",
        onboarding_db=f"bench_{run}",
        topic_prefix=f"bench-{run}.",
        jwks_json=identity.jwks,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        rate_limit_subject_per_minute=10**9,
        rate_limit_tenant_per_minute=10**9,
    )
    seed(settings)
    logs = ROOT / ".local/bench"
    logs.mkdir(parents=True, exist_ok=True)
    portal_port, projector_port, bare_port = free_port(), free_port(), free_port()
    env = env_for(settings, PORTAL_LOG_LEVEL="WARNING", **deployed_tracing())

    def process(role: str, port: int) -> ServiceProcess:
        role_env = {**env, "PORTAL_ROLE": role, "PORTAL_METRICS_PORT": str(free_port())}
        return ServiceProcess(
            role_env, logs / f"{role}.log", port=port, command="portal-api", port_env="PORTAL_HTTP_PORT"
        )

    projector = process("projector", projector_port).start(timeout_s=60)
    portal = process("api", portal_port).start(timeout_s=60)
    bare = start_bare(bare_port, logs / "bare.log")
    headers = {"authorization": f"Bearer {identity.token('bench@acme')}"}
    portal_url = f"http://127.0.0.1:{portal_port}/api/v1/tenants/acme/overview"
    bare_url = f"http://127.0.0.1:{bare_port}/tenants/acme/overview"
    try:
        check = httpx.get(portal_url, headers=headers, timeout=5)
        if check.status_code != 200 or check.json()["onboarding"]["display_name"] != "Acme":
            raise SystemExit(f"bench: the portal read is not working: {check.status_code} {check.text[:200]}")
        open_loop(portal_url, headers, TARGET_RATE, 3.0)  # warm-up at the measured rate (pools, caches)
        # The fixed rate first: after a saturating run the projector would still be catching up.
        fixed = open_loop(portal_url, headers, TARGET_RATE, args.seconds)
        closed_loop(bare_url, headers, 2.0, args.concurrency)
        bare_run = closed_loop(bare_url, headers, args.seconds, args.concurrency)
        portal_run = closed_loop(portal_url, headers, args.seconds, args.concurrency)
    finally:
        bare.terminate()
        bare.wait(10)
        portal.stop()
        projector.stop()
        with MongoClient(settings.mongo_uri) as mongo:
            mongo.drop_database(settings.mongo_db)
    rego = rego_decisions_per_second()
    rego_memo = rego_decisions_per_second(memo=True)
    ratio = portal_run["rps"] / bare_run["rps"]

    sampler = deployed_tracing()
    print("\nportal: tenant-scoped read (JWT + membership + rate limits + Rego + audit to Kafka + MongoDB)")
    print(
        f"  API process (PORTAL_ROLE=api) + projector process; tracing as deployed: "
        f"{sampler.get('OTEL_TRACES_SAMPLER', 'always on')} {sampler.get('OTEL_TRACES_SAMPLER_ARG', '')}"
    )
    print(
        f"  closed loop, {args.concurrency} clients: {portal_run['rps']:,.0f} req/s, "
        f"p50 {portal_run['p50_ms']:.1f} ms, p99 {portal_run['p99_ms']:.1f} ms, errors {portal_run['errors']}"
    )
    print(
        f"  bare FastAPI route, same client:  {bare_run['rps']:,.0f} req/s, "
        f"p50 {bare_run['p50_ms']:.1f} ms, p99 {bare_run['p99_ms']:.1f} ms"
    )
    print(f"  ratio portal/bare: {ratio:.2f} (target >= {TARGET_RATIO})")
    print(
        f"  at {TARGET_RATE} req/s (open loop, {fixed['requests']} requests): achieved {fixed['rps']:.0f} req/s, "
        f"p50 {fixed['p50_ms']:.1f} ms, p99 {fixed['p99_ms']:.1f} ms (target <= {TARGET_P99_MS:.0f} ms), "
        f"errors {fixed['errors']} (statuses {fixed['statuses']})"
    )
    print(f"  in-process Rego decisions: {rego:,.0f}/s evaluated by rego-cpp, {rego_memo:,.0f}/s memoised")
    result = {
        "at": datetime.now(UTC).isoformat(),
        "portal": portal_run,
        "bare": bare_run,
        "ratio": ratio,
        "fixed_rate": fixed,
        "rego_decisions_per_s": rego,
        "rego_memoised_decisions_per_s": rego_memo,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    met = (
        fixed["p99_ms"] <= TARGET_P99_MS and ratio >= TARGET_RATIO and not fixed["errors"] and not portal_run["errors"]
    )
    print(f"  targets {'met' if met else 'NOT met'}; results in {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
