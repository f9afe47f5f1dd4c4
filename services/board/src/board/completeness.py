"""The board pack's completeness check: every section has its source, every hash resolves, every link resolves.

Run on every build and by `board check`. Each check is a named line with ok/FAIL and what it found;
nothing is silently blank. Hash checks are offline (the evidence pack's inclusion proof against its
signed tree head, under the ledger's public key); link checks ask the portal itself, never another host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ed25519
from schemas.board import Check
from transparency.log import inclusion_problem, verify_head

from board.facts import Fact
from board.pack import BoardPack, LedgeredPack, PackSettings


class LinkChecker(Protocol):
    """Says whether a URL of the portal answers (an HTTP client on the portal's base URL only)."""

    async def problem(self, url: str) -> str | None:
        """None when the page exists (any answer but 404 and 5xx); else what happened."""
        ...


def sources(pack: BoardPack) -> list[Check]:
    """Each section's source for the window: present, or named as missing."""
    revenue = sum(r.sources["invoices"] for r in pack.revenue)
    found = [
        ("revenue", revenue, f"{revenue} invoice(s) on record", "no invoice on record by the end of the period"),
        ("sla", pack.sla.probes, f"{pack.sla.probes:,} probe result(s)", "no probe result in the period"),
        ("partners", len(pack.partners), f"{len(pack.partners)} partner(s)", "no partner provisioned"),
        ("releases", pack.releases.verified + pack.releases.rejected,
         f"{pack.releases.verified} verified, {pack.releases.rejected} rejected",
         "no provenance verdict in the period"),
        ("evidence", len(pack.packs), f"{len(pack.packs)} ledgered pack(s)", "no evidence pack for the period"),
        ("policy", len(pack.bundles), f"{len(pack.bundles)} bundle(s) in force", "no policy bundle on record"),
    ]  # fmt: skip
    return [Check(name=f"source: {name}", ok=n > 0, detail=ok if n > 0 else missing) for name, n, ok, missing in found]


def ledger_problem(
    pack: LedgeredPack, proof: dict[str, Any], head: dict[str, Any], key: ed25519.Ed25519PublicKey | None
) -> str | None:
    """None when the pack's proof is for its digest at its index and leads to a head the ledger key signed."""
    entry = proof.get("entry", {})
    if not isinstance(entry, dict) or entry.get("sha256") != pack.sha256:
        return f"the ledger entry holds {entry.get('sha256') if isinstance(entry, dict) else entry}, not {pack.sha256}"
    if proof.get("leaf_index") != pack.ledger_index:
        return f"the entry is at {proof.get('leaf_index')}, not {pack.ledger_index}"
    if problem := inclusion_problem(proof, head):
        return problem
    if key is None:
        return "no ledger public key configured (BOARD_LEDGER_PUBLIC_KEY)"
    return None if verify_head(head, key) else "the tree head's signature does not verify under the ledger key"


def hashes(pack: BoardPack, facts: Iterable[Fact], ledger_key: ed25519.Ed25519PublicKey | None) -> list[Check]:
    """Each evidence pack hash resolves to a ledger entry with a verified proof; each bundle hash to its publication."""
    facts = list(facts)
    built = {(f.tenant, str(f.data.get("pack_id"))): f for f in facts if f.kind == "pack-built"}
    published = {str(f.data.get("sha256")) for f in facts if f.kind == "bundle-published"}
    checks = []
    for p in pack.packs:
        name = f"hash: evidence pack {p.tenant} {p.period} {p.sha256[:12]}"
        fact = built.get((p.tenant, p.pack_id))
        if fact is None or not isinstance(fact.data.get("inclusion_proof"), dict):
            checks.append(Check(name=name, ok=False, detail="no ledger entry with a proof on record"))
            continue
        proof, head = fact.data["inclusion_proof"], fact.data.get("tree_head") or {}
        problem = ledger_problem(p, proof, head, ledger_key)
        checks.append(Check(name=name, ok=problem is None, detail=problem or f"ledger index {p.ledger_index}, proof "
                            f"verified against tree size {head.get('tree_size')}"))  # fmt: skip
    for b in pack.bundles:
        ok = b.sha256 in published
        detail = "PolicyBundlePublished on record" if ok else "no PolicyBundlePublished with it"
        checks.append(Check(name=f"hash: policy bundle {b.bundle} {b.version}", ok=ok, detail=detail))
    return checks


@dataclass
class Completeness:
    """The whole check: sources, hashes, links."""

    links: LinkChecker
    ledger_key: ed25519.Ed25519PublicKey | None
    config: PackSettings

    async def run(self, pack: BoardPack, facts: Iterable[Fact]) -> list[Check]:
        """Every check, in order."""
        checks = sources(pack) + hashes(pack, facts, self.ledger_key)
        base = self.config.portal_url.rstrip("/") + "/"
        release_tag = self.config.release_tag_url
        for name, url in sorted(pack.links.items()):
            if name == "release tag":
                ok = url == release_tag
                detail = url if ok else f"{url} is not the configured {release_tag}"
                checks.append(Check(name=f"link: {name}", ok=ok, detail=detail))
            elif not url.startswith(base):
                checks.append(Check(name=f"link: {name}", ok=False, detail=f"{url} is not a page of {base}"))
            else:
                problem = await self.links.problem(url)
                checks.append(Check(name=f"link: {name}", ok=problem is None, detail=problem or url))
        return checks
