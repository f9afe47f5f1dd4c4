"""`trust-portal`: what a release job runs against the portal.

  trust-portal submit-provenance --artifact FILE --provenance FILE.intoto.jsonl --repo REPO [--wait]
  trust-portal submit-provenance --digest sha256:HEX --name IMAGE --provenance FILE --repo REPO [--wait]
  trust-portal runner-event queued|started|finished --job-id ID --pool POOL --repo REPO ...
  trust-portal verdict SUBMISSION_ID [--wait] [--timeout S] [--json]

Configuration from the environment: TRUST_PORTAL_URL, TRUST_PORTAL_TENANT, TRUST_PORTAL_API_KEY (an
engineer key; never printed). Exit codes: 0 done / verified, 1 rejected, 2 an error (named on stderr),
3 no verdict before --timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from trust_portal.client import Portal, PortalError, idempotency_key
from trust_portal.provenance import ProvenanceFileError, countersign, digest_hex, naming, sha256_file

VERIFIED, REJECTED, ERROR, PENDING = 0, 1, 2, 3


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="trust-portal", description=__doc__.split("\n\n")[0])
    top.add_argument("--portal", help="Portal URL (default: TRUST_PORTAL_URL).")
    top.add_argument("--tenant", help="Tenant (default: TRUST_PORTAL_TENANT).")
    commands = top.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit-provenance", help="Submit an artifact's provenance; prints the submission id.")
    artifact = submit.add_mutually_exclusive_group(required=True)
    artifact.add_argument("--artifact", type=Path, help="The released file (its sha256 is submitted).")
    artifact.add_argument(
        "--digest", help="The artifact's sha256:HEX instead of a file: a container image's digest (needs --name)."
    )
    submit.add_argument(
        "--provenance", type=Path, required=True, help="DSSE envelope(s), one per line (.intoto.jsonl)."
    )
    submit.add_argument("--repo", required=True, help="Source repository, e.g. github.com/acme/robot.")
    submit.add_argument("--name", help="Artifact name shown in the portal (default: the file's name).")
    submit.add_argument("--sign-key-env", metavar="VAR", help="Countersign with the PEM key in this variable.")
    submit.add_argument("--key-id", help="The key id the tenant's trust policy names for --sign-key-env.")
    submit.add_argument("--wait", action="store_true", help="Then wait for the verdict (as `verdict --wait`).")
    submit.add_argument("--timeout", type=float, default=300.0, help="Seconds to wait for the verdict.")

    runner = commands.add_parser("runner-event", help="Report a hermetic job queued, started or finished.")
    runner.add_argument("kind", choices=["queued", "started", "finished"])
    runner.add_argument("--job-id", required=True, help="The CI job's id (e.g. run id-attempt-job).")
    runner.add_argument("--pool", required=True, help="Runner pool, e.g. hermetic-linux.")
    runner.add_argument("--repo", required=True, help="The repository the job builds.")
    runner.add_argument("--group", default="", help="Concurrency group, e.g. hermetic-refs/heads/main.")
    runner.add_argument("--priority", choices=["release", "default"], default="default", help="queued: priority.")
    runner.add_argument("--runner", default="", help="started: the runner's name.")
    runner.add_argument("--outcome", choices=["succeeded", "failed", "cancelled"], help="finished: the outcome.")
    runner.add_argument("--at", help="When it happened, ISO 8601 with a zone (default: now).")

    verdict = commands.add_parser("verdict", help="Show a submission's verdict; exits 1 when rejected.")
    verdict.add_argument("submission_id")
    verdict.add_argument("--wait", action="store_true", help="Poll until the verdict is in.")
    verdict.add_argument("--timeout", type=float, default=300.0, help="Seconds to wait (with --wait).")
    verdict.add_argument("--json", action="store_true", help="Print the verdict as JSON.")
    return top


def portal_from(args: argparse.Namespace, environ: dict[str, str]) -> Portal:
    """The portal the environment and flags name; a clear error for what is missing."""
    url = args.portal or environ.get("TRUST_PORTAL_URL", "")
    tenant = args.tenant or environ.get("TRUST_PORTAL_TENANT", "")
    key = environ.get("TRUST_PORTAL_API_KEY", "")
    settings = (("TRUST_PORTAL_URL (or --portal)", url), ("TRUST_PORTAL_TENANT (or --tenant)", tenant),
                ("TRUST_PORTAL_API_KEY", key))  # fmt: skip
    missing = [name for name, value in settings if not value]
    if missing:
        raise PortalError(f"not configured: set {', '.join(missing)}")
    return Portal(base_url=url.rstrip("/"), api_key=key, tenant=tenant)


def submit(portal: Portal, args: argparse.Namespace, environ: dict[str, str]) -> str:
    """Submit the envelope naming the artifact (countersigned if asked); the submission id."""
    for path in (args.artifact, args.provenance):
        if path is not None and not path.is_file():
            raise ProvenanceFileError(f"{path}: no such file")
    sha256 = sha256_file(args.artifact) if args.artifact else digest_hex(args.digest)
    if args.artifact is None and not args.name:
        raise ProvenanceFileError("--digest needs --name (the image, e.g. ghcr.io/acme/robot)")
    envelope = naming(args.provenance, sha256)
    if args.sign_key_env:
        pem = environ.get(args.sign_key_env)
        if not pem or not args.key_id:
            raise ProvenanceFileError(f"--sign-key-env {args.sign_key_env} needs that variable set and --key-id")
        envelope = countersign(envelope, pem.encode(), args.key_id)
    body = {"repo": args.repo, "artifact_name": args.name or args.artifact.name, "artifact_sha256": sha256,
            "envelope": envelope}  # fmt: skip
    key = idempotency_key("provenance", args.repo, sha256, json.dumps(envelope, sort_keys=True))
    answer = portal.request("POST", "/provenance", body=body, key=key)
    print(f"submitted {body['artifact_name']} ({sha256[:12]}) for {answer.get('repo', args.repo)}", file=sys.stderr)
    return str(answer["submission_id"])


def report(portal: Portal, args: argparse.Namespace) -> dict[str, Any]:
    """Report one runner event (the same event reported twice is recorded once)."""
    body: dict[str, Any] = {"kind": args.kind, "job_id": args.job_id, "pool": args.pool, "repo": args.repo,
                            "concurrency_group": args.group, "priority": args.priority, "runner": args.runner,
                            "outcome": args.outcome, "at": args.at}  # fmt: skip
    key = idempotency_key("runner", args.kind, args.pool, args.job_id)
    return portal.request("POST", "/runner-events", body={k: v for k, v in body.items() if v is not None}, key=key)


def wait_for(
    portal: Portal, submission_id: str, *, wait: bool, timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> dict[str, Any]:
    """The submission's verdict; with `wait`, polled until it is in or `timeout_s` passes."""
    deadline = clock() + timeout_s
    delay = 0.5
    while True:
        answer = portal.request("GET", f"/provenance/{submission_id}")
        if answer.get("status") != "pending" or not wait or clock() >= deadline:
            return answer
        portal.sleep(min(delay, max(deadline - clock(), 0.0)))
        delay = min(delay * 2, 5.0)


def shown(answer: dict[str, Any]) -> str:
    """A verdict for a person reading the job log."""
    status = answer.get("status", "pending")
    head = f"{answer.get('submission_id')}: {status}"
    if status == "pending":
        return f"{head} (slsa-watch has not judged it yet)"
    facts = (f"SLSA Build L{answer.get('build_level', 0)}, hermetic: {_yes(answer.get('hermetic'))}, "
             f"dependencies pinned: {_yes(answer.get('dependencies_pinned'))}")  # fmt: skip
    lines = [f"{head} - {answer.get('repo', '')} {answer.get('artifact_name', '')}", f"  {facts}"]
    lines += [f"  reason: {reason}" for reason in answer.get("reasons") or ()]
    return "\n".join(lines)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def outcome(answer: dict[str, Any], as_json: bool) -> int:
    """Print a verdict; its exit code."""
    print(json.dumps(answer, indent=2) if as_json else shown(answer))
    return {"verified": VERIFIED, "rejected": REJECTED}.get(str(answer.get("status")), PENDING)


def run(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """Run one command; its exit code."""
    args = parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    try:
        portal = portal_from(args, env)
        if args.command == "submit-provenance":
            submission_id = submit(portal, args, env)
            print(submission_id)
            if not args.wait:
                return 0
            return outcome(wait_for(portal, submission_id, wait=True, timeout_s=args.timeout), as_json=False)
        if args.command == "runner-event":
            answer = report(portal, args)
            print(f"reported {args.kind} for job {args.job_id} on {args.pool} ({answer.get('event_id')})")
            return 0
        return outcome(wait_for(portal, args.submission_id, wait=args.wait, timeout_s=args.timeout), args.json)
    except (PortalError, ProvenanceFileError) as exc:
        print(f"trust-portal: {exc}", file=sys.stderr)
        return ERROR


def main() -> None:
    """Console entry point."""
    sys.exit(run())
