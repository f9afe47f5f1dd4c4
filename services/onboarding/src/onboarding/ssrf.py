"""SSRF guard for webhook URLs: which schemes, hosts and resolved addresses may be contacted."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from onboarding.errors import UnsafeUrlError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata endpoints beyond the link-local range (AWS IPv6, Alibaba, Oracle legacy).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


NAT64 = ipaddress.ip_network("64:ff9b::/96")
WEBHOOK_PORT = 443


@dataclass(frozen=True)
class UrlPolicy:
    """What the platform may call: https anywhere public; http and private only for allow-listed hosts."""

    allow_hosts: frozenset[str] = frozenset()

    def allowed_host(self, host: str) -> bool:
        """Whether `host` is an allow-listed development host."""
        return host.lower().rstrip(".") in self.allow_hosts


def parse_webhook_url(url: str, policy: UrlPolicy) -> SplitResult:
    """Check a webhook URL's shape (before any DNS); raise UnsafeUrlError naming the problem."""
    if len(url) > 2048:
        raise UnsafeUrlError("URL is longer than 2048 characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError(f"URL is malformed: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise UnsafeUrlError(f"scheme {parts.scheme or '(none)'!r} is not allowed; use https")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeUrlError("URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("URL must not carry credentials")
    if parts.scheme == "http" and not policy.allowed_host(host):
        raise UnsafeUrlError(f"http is only allowed for allow-listed development hosts; use https for {host}")
    if port not in (None, WEBHOOK_PORT) and not policy.allowed_host(host):
        raise UnsafeUrlError(f"port {port} is not allowed; webhooks are called on port {WEBHOOK_PORT}")
    if port == 0:
        raise UnsafeUrlError("port 0 is not allowed")
    return parts


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, 6to4 (2002::/16), Teredo server and client, NAT64."""
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal(address: IPAddress) -> str | None:
    """Why `address` must not be contacted, or None when it is a public unicast address.

    An IPv6 address that embeds IPv4 addresses is judged by each of them too (a 6to4 address of
    10.0.0.1 reaches 10.0.0.1 through a relay), and by its own ranges.
    """
    if isinstance(address, ipaddress.IPv6Address):
        for inner in embedded_ipv4(address):
            if reason := refusal(inner):
                return f"{reason} ({inner}, embedded in {address})"
        if address.is_site_local:
            return "a site-local address"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    return None


def choose_address(host: str, addresses: Iterable[str], policy: UrlPolicy) -> IPAddress:
    """Pick the address to connect to; refuse when any resolved address is unsafe.

    Every address is checked (not only the first) because a resolver may rotate them between the
    check and the connection; the caller connects to the returned address, never re-resolving.
    """
    parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
    if not parsed:
        raise UnsafeUrlError(f"{host} did not resolve to any address")
    if not policy.allowed_host(host):
        for address in parsed:
            reason = refusal(address)
            if reason:
                raise UnsafeUrlError(f"{host} resolves to {address}, {reason}; refused (not allow-listed)")
    return parsed[0]
