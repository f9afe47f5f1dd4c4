"""Cohort office hours: a cohort's failures grouped by cause, each with what the partner should do (pure).

The causes follow what the onboarding service can tell apart: the request refused by validation, the
webhook URL refused by the SSRF guard, DNS, TLS, a connection that failed or timed out, the receiver
rejecting the ping's signature (401/403), another 4xx, a 5xx. Reasons are the service's own words
(verification.Attempt.describe, ssrf.UnsafeUrlError, the intake's field problems).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from schemas.read_models import TenantState, TenantView


@dataclass(frozen=True)
class Cause:
    """A kind of failure: its name, a line for the table, and what the partner should do."""

    name: str
    label: str
    action: str


CAUSES = (
    Cause("validation", "request refused by validation",
          "Fix the fields named in the reason in your onboarding request (tenants.csv) and submit it again."),
    Cause("ssrf", "webhook URL refused (SSRF guard)",
          "Give a webhook URL on https, port 443, whose host resolves only to public addresses."),
    Cause("dns", "webhook host does not resolve",
          "Publish a public DNS record (A/AAAA) for the webhook host."),
    Cause("tls", "TLS handshake failed",
          "Serve a certificate chain valid for the host from a public CA (not self-signed, not expired)."),
    Cause("timeout", "webhook timed out",
          "Answer the ping within 5 seconds: acknowledge with 2xx first, do the work afterwards."),
    Cause("connect", "connection failed",
          "Open port 443 on the webhook host to our egress addresses; check firewalls and load balancers."),
    Cause("signature", "receiver rejected the signature (401/403)",
          "Verify with the webhook secret you were given at onboarding, over the raw body, with the "
          "Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature)."),
    Cause("http-4xx", "receiver answered 4xx",
          "Check the webhook path and that it accepts POST with a JSON body; 410 and redirects are final."),
    Cause("http-5xx", "receiver answered 5xx",
          "Your receiver failed on our ping: check its logs at the time of the attempts."),
    Cause("other", "other", "Send us the reason shown; we will look at it with you."),
)  # fmt: skip
BY_NAME = {c.name: c for c in CAUSES}
SSRF = re.compile(r"refused \(not allow-listed\)|^(URL |scheme |http is only allowed|port \d+ is not allowed)")


def cause_of(tenant: TenantView) -> Cause:
    """Why this tenant's onboarding failed."""
    if tenant.state == TenantState.REJECTED:
        return BY_NAME["validation"]
    reason = tenant.failure_reason or ""
    status = tenant.last_status_code
    status_text = re.search(r"\bHTTP (\d{3})\b", reason)
    code = status if status is not None else int(status_text.group(1)) if status_text else None
    checks = (
        ("ssrf", bool(SSRF.search(reason))),
        ("dns", "cannot resolve" in reason or "did not resolve" in reason),
        ("tls", bool(re.search(r"SSL|TLS|certificate", reason))),
        ("timeout", "timed out" in reason),
        ("connect", reason.startswith("connection failed")),
        ("signature", code in (401, 403)),
        ("http-4xx", code is not None and 400 <= code < 500),
        ("http-5xx", code is not None and 500 <= code < 600),
    )
    return next((BY_NAME[name] for name, hit in checks if hit), BY_NAME["other"])


@dataclass
class Group:
    """The tenants that failed for one cause, with the reasons they got."""

    cause: Cause
    tenants: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The group as JSON."""
        return {"cause": self.cause.name, "label": self.cause.label, "action": self.cause.action,
                "tenants": [{"tenant": t, "reason": r} for t, r in self.tenants]}  # fmt: skip


FAILED = (TenantState.REJECTED, TenantState.VERIFICATION_FAILED)


def triage(tenants: list[TenantView]) -> list[Group]:
    """The cohort's failed tenants grouped by cause, the largest group first (then in the causes' order)."""
    groups: dict[str, Group] = {}
    for tenant in sorted(tenants, key=lambda t: t.slug):
        if tenant.state not in FAILED:
            continue
        cause = cause_of(tenant)
        reason = tenant.failure_reason or "; ".join(tenant.problems) or "-"
        groups.setdefault(cause.name, Group(cause)).tenants.append((tenant.slug, reason))
    order = {c.name: i for i, c in enumerate(CAUSES)}
    return sorted(groups.values(), key=lambda g: (-len(g.tenants), order[g.cause.name]))


def markdown(cohort: str, groups: list[Group], total: int) -> str:
    """The office-hours notes: each cause, what to do, and the tenants affected with their reason."""
    failed = sum(len(g.tenants) for g in groups)
    lines = [f"# Cohort {cohort}: {failed} of {total} partners need help", ""]
    if not groups:
        lines.append("Nothing failed: every partner is onboarded or still in progress.")
    for g in groups:
        lines += [f"## {g.cause.label} ({len(g.tenants)})", "", f"**What to do:** {g.cause.action}", ""]
        lines += [f"- `{tenant}`: {reason}" for tenant, reason in g.tenants]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
