"""Benchmark: a tenant-scoped read through the whole portal, against a bare FastAPI route in the same run.

The portal runs as deployed: an API process (uvicorn, one worker, PORTAL_ROLE=api) and a projector
process folding the audit trail (PORTAL_ROLE=projector), with the trace sampler of the Kubernetes
manifests, on the local stack; this script is the load generator, another process on loopback.
Each portal request verifies an ES256 JWT (remembered once verified), looks up the membership
(cached for seconds), counts two rate-limit windows, asks the Rego policy and the presentation
guard, publishes the AccessDecided record to Kafka (acks=all) and reads the tenant from MongoDB.
The baseline is a bare FastAPI route in its own uvicorn process, driven by the same client. The peer
is the same portal authorising through an OPA server over HTTP (peer.py), as most services use OPA.

Prints: closed-loop throughput (requests/s, p50/p99) of the portal, the bare route and the peer, and the
ratios; the portal's p50/p99 at a fixed 300 requests/s (open loop: latency counted from each request's
scheduled time, so a stall is not hidden); the CPU each process spends per request (API, projector,
Kafka, FerretDB, the load generator), which bounds what two cores can serve; in-process Rego decisions/s.

    make bench-portal       (or: uv run python bench/portal/run.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from portal_api.policy import POLICY_DIR, PolicyBundle, PolicyEngine
from portal_api.settings import PortalSettings
from pymongo import MongoClient
from service_kit.testing.launcher import ServiceProcess, env_for, free_port

sys.path.insert(0, str(Path(__file__).parent))
import load  # type: ignore[import-not-found]  # this directory, put on the path above
from cpu import CpuMeter, pid_file  # type: ignore[import-not-found]

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


def summary(sample: load.Sample, elapsed: float) -> dict[str, Any]:
    first, last = sample.slowest()
    return {
        "slowest_1pct_due_s": [round(first, 3), round(last, 3)],
        "rps": len(sample.latencies) / elapsed,
        "p50_ms": pct(sample.latencies, 0.5) * 1000,
        "p99_ms": pct(sample.latencies, 0.99) * 1000,
        "errors": sample.errors,
        "statuses": {str(k): v for k, v in sorted(sample.statuses.items())},
        "requests": len(sample.latencies),
    }


def closed_loop(url: str, headers: dict[str, str], seconds: float, concurrency: int) -> dict[str, Any]:
    """As fast as `concurrency` keep-alive clients go."""
    return summary(*asyncio.run(load.closed_loop(url, headers, seconds, concurrency)))


def open_loop(
    url: str,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    warm_up_s: float = 0.0,
    meter: CpuMeter | None = None,
) -> dict[str, Any]:
    """A fixed `rate` of requests per second, measured after `warm_up_s` at that rate on the same connections.

    With a `meter`, the CPU each process spends during the measurement (not the warm-up), per request.
    """

    async def both() -> tuple[load.Sample, float]:
        pool: list[load.Connection] = []
        if warm_up_s:
            await load.open_loop(url, headers, rate, warm_up_s, pool)
        if meter:
            meter.start()
        measured: tuple[load.Sample, float] = await load.open_loop(url, headers, rate, seconds, pool)
        if meter:
            meter.stop()
        for conn in pool:
            await conn.close()
        return measured

    figures: dict[str, Any] = summary(*asyncio.run(both()))
    if meter:
        figures["cpu_ms_per_request"] = meter.per_request_ms(int(figures["requests"]))
    return figures


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


def start_uvicorn(
    target: str, port: int, log: Path, ready: str, env: dict[str, str] | None = None, *extra: str
) -> subprocess.Popen[bytes]:
    """A uvicorn process for `target` (one worker, same flags as the portal), once `ready` answers 200."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", target, "--app-dir", str(Path(__file__).parent),
             "--port", str(port), "--no-access-log", "--log-level", "warning", *extra],
            stdout=out,
            stderr=out,
            env=env,
        )  # fmt: skip
    return ready_or_exit(proc, f"http://127.0.0.1:{port}{ready}", target, log)


def ready_or_exit(proc: subprocess.Popen[bytes], url: str, what: str, log: Path) -> subprocess.Popen[bytes]:
    """`proc` once `url` answers 200 (within a minute); else it is killed and the benchmark stops naming its log."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"bench: {what} did not start; see {log}")


def opa_binary() -> str:
    """The OPA binary `make opa` builds."""
    binary = shutil.which("opa") or str(ROOT / ".local/bin/opa")
    if not Path(binary).exists():
        raise SystemExit("bench: the OPA binary is missing: `make opa` builds it")
    return binary


def start_opa(port: int, log: Path) -> subprocess.Popen[bytes]:
    """An OPA server with the portal's bundle, as a sidecar would run it."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [opa_binary(), "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error", str(POLICY_DIR)],
            stdout=out,
            stderr=out,
        )
    return ready_or_exit(proc, f"http://127.0.0.1:{port}/health", "OPA", log)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def measured(meter: CpuMeter, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`run()`'s figures, with the CPU milliseconds per request each metered process spent meanwhile."""
    meter.start()
    figures = run()
    meter.stop()
    return {**figures, "cpu_ms_per_request": meter.per_request_ms(int(figures["requests"]))}


def breakdown(figures: dict[str, Any]) -> str:
    cpu = figures["cpu_ms_per_request"]
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items() if name != "total")
    return f"{cpu['total']:.2f} ms ({parts})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each measurement.")
    parser.add_argument("--concurrency", type=int, default=16, help="Clients in the closed-loop runs.")
    parser.add_argument("--warm-up", type=float, default=8.0, help="Seconds at the fixed rate before measuring.")
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
    portal_port, projector_port, bare_port, peer_port, opa_port = (free_port() for _ in range(5))
    env = env_for(settings, PORTAL_LOG_LEVEL="WARNING", **deployed_tracing())

    def role_env(role: str) -> dict[str, str]:
        return {**env, "PORTAL_ROLE": role, "PORTAL_METRICS_PORT": str(free_port())}

    def process(role: str, port: int) -> ServiceProcess:
        return ServiceProcess(
            role_env(role), logs / f"{role}.log", port=port, command="portal-api", port_env="PORTAL_HTTP_PORT"
        )

    projector = process("projector", projector_port).start(timeout_s=60)
    portal = process("api", portal_port).start(timeout_s=60)
    bare = start_uvicorn("bare:app", bare_port, logs / "bare.log", "/tenants/acme/overview")
    opa = start_opa(opa_port, logs / "opa.log")
    peer = start_uvicorn(
        "peer:app", peer_port, logs / "peer.log", "/readyz",
        {**role_env("api"), "PEER_OPA_URL": f"http://127.0.0.1:{opa_port}"}, "--factory",
    )  # fmt: skip
    headers = {"authorization": f"Bearer {identity.token('bench@acme')}"}
    portal_url = f"http://127.0.0.1:{portal_port}/api/v1/tenants/acme/overview"
    peer_url = f"http://127.0.0.1:{peer_port}/api/v1/tenants/acme/overview"
    bare_url = f"http://127.0.0.1:{bare_port}/tenants/acme/overview"
    assert portal.proc is not None and projector.proc is not None
    stack = {
        "kafka": pid_file(ROOT / ".local/kafka/pid"),
        "ferretdb": pid_file(ROOT / ".local/ferretdb/pid"),
        "load generator": os.getpid(),
    }
    portal_cpu = CpuMeter(
        {"api": portal.proc.pid, "projector": projector.proc.pid, **{k: v for k, v in stack.items() if v}}
    )
    bare_cpu = CpuMeter({"bare route": bare.pid, "load generator": os.getpid()})
    peer_cpu = CpuMeter(
        {"api": peer.pid, "opa": opa.pid, "projector": projector.proc.pid, **{k: v for k, v in stack.items() if v}}
    )
    try:
        for url in (portal_url, peer_url):
            check = httpx.get(url, headers=headers, timeout=5)
            if check.status_code != 200 or check.json()["onboarding"]["display_name"] != "Acme":
                raise SystemExit(f"bench: the portal read is not working: {check.status_code} {check.text[:200]}")
        # Warm-up: a short burst, then the measured rate (pools, caches, the JIT of a freshly started Kafka).
        closed_loop(portal_url, headers, 3.0, args.concurrency)
        time.sleep(1.0)  # the projector catches up with the burst
        # The fixed rate first: after a saturating run the projector would still be catching up.
        fixed = open_loop(portal_url, headers, TARGET_RATE, args.seconds, warm_up_s=args.warm_up, meter=portal_cpu)
        closed_loop(bare_url, headers, 2.0, args.concurrency)
        bare_run = measured(bare_cpu, lambda: closed_loop(bare_url, headers, args.seconds, args.concurrency))
        portal_run = measured(portal_cpu, lambda: closed_loop(portal_url, headers, args.seconds, args.concurrency))
        time.sleep(2.0)  # let the projector catch up before the peer's run
        closed_loop(peer_url, headers, 2.0, args.concurrency)
        peer_run = measured(peer_cpu, lambda: closed_loop(peer_url, headers, args.seconds, args.concurrency))
    finally:
        for proc in (bare, peer, opa):
            stop(proc)
        portal.stop()
        projector.stop()
        with MongoClient(settings.mongo_uri) as mongo:
            mongo.drop_database(settings.mongo_db)
    rego = rego_decisions_per_second()
    rego_memo = rego_decisions_per_second(memo=True)
    ratio = portal_run["rps"] / bare_run["rps"]
    peer_ratio = portal_run["rps"] / peer_run["rps"]
    cores = os.cpu_count() or 1
    ceiling = 1000 * cores / portal_run["cpu_ms_per_request"]["total"]

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
    print(f"    CPU per request, whole machine: {breakdown(portal_run)}")
    print(
        f"    {cores} cores / {portal_run['cpu_ms_per_request']['total']:.2f} ms = at most {ceiling:,.0f} req/s "
        f"for this design here (ratio ceiling {ceiling / bare_run['rps']:.2f})"
    )
    print(
        f"  bare FastAPI route, same client:  {bare_run['rps']:,.0f} req/s, "
        f"p50 {bare_run['p50_ms']:.1f} ms, p99 {bare_run['p99_ms']:.1f} ms; CPU per request {breakdown(bare_run)}"
    )
    print(f"  ratio portal/bare: {ratio:.2f} (target >= {TARGET_RATIO})")
    print(
        f"  peer: the same portal asking an OPA server over HTTP: {peer_run['rps']:,.0f} req/s, "
        f"p50 {peer_run['p50_ms']:.1f} ms, p99 {peer_run['p99_ms']:.1f} ms, errors {peer_run['errors']}"
    )
    print(f"    CPU per request, whole machine: {breakdown(peer_run)}")
    print(f"  ratio portal/peer: {peer_ratio:.2f}")
    print(
        f"  at {TARGET_RATE} req/s (open loop, {fixed['requests']} requests, after {args.warm_up:.0f} s warm-up): "
        f"achieved {fixed['rps']:.0f} req/s, p50 {fixed['p50_ms']:.1f} ms, p99 {fixed['p99_ms']:.1f} ms "
        f"(target <= {TARGET_P99_MS:.0f} ms), errors {fixed['errors']} (statuses {fixed['statuses']})"
    )
    first, last = fixed["slowest_1pct_due_s"]
    print(f"    the slowest 1% were due between {first:.1f} s and {last:.1f} s of the {args.seconds:.0f} s")
    print(f"    CPU per request, whole machine: {breakdown(fixed)}")
    print(f"  in-process Rego decisions: {rego:,.0f}/s evaluated by rego-cpp, {rego_memo:,.0f}/s memoised")
    result = {
        "at": datetime.now(UTC).isoformat(),
        "portal": portal_run,
        "bare": bare_run,
        "peer_opa_http": peer_run,
        "ratio": ratio,
        "ratio_vs_peer": peer_ratio,
        "ceiling_rps": ceiling,
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
