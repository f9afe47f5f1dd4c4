"""A board pack's sources for the unit tests: five partners, five months of invoices, a month of probes
with one outage, releases, policy bundles and ledgered evidence packs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from board.facts import Fact
from board.pack import PackSettings, Sources
from board.windows import Window

from tests.unit.board.factories import every_10s, invoice, payment

PLANS = {"acme": 199000, "globex": 49000, "initech": 890000, "umbrella": 199000, "hooli": 49000}
NAMES = {199000: "standard", 49000: "starter", 890000: "enterprise"}
SETTINGS = PackSettings(
    portal_url="http://127.0.0.1:8080",
    release_tag_url="https://github.com/trust-portal/trust-portal/releases/tag/v0.1.0",
    design_partners={"acme": "signed", "globex": "pilot"},
)


def sources(w: Window) -> Sources:
    invoices = []
    for m in range(1, 6):
        for tenant, base in PLANS.items():
            if tenant == "hooli" and m < 4:
                continue
            fee = 199000 if tenant == "globex" and m >= 4 else base
            invoices.append(invoice(tenant, f"2026-{m:02d}", fee, overage=1200 * m, plan=NAMES[fee],
                                    issued_at=datetime(2026, m + 1, 1, 6, tzinfo=UTC)))  # fmt: skip
    payments = [
        payment("p1", "inv-acme-2026-04", 199000 + 4800, datetime(2026, 5, 8, tzinfo=UTC), tenant="acme"),
        payment("p2", "inv-globex-2026-04", 100000, datetime(2026, 5, 9, tzinfo=UTC), tenant="globex"),
        payment("p3", "inv-unknown", 5000, datetime(2026, 5, 10, tzinfo=UTC)),
    ]
    outage = (w.start + timedelta(days=12, hours=3), w.start + timedelta(days=12, hours=3, minutes=9))
    probes = [
        p._replace(ok=False, status=503, error="status 503") if outage[0] <= p.probed_at < outage[1] else p
        for p in every_10s(w.start, w.end) + every_10s(w.start, w.end, target="tenant-read", latency=38.0)
    ]
    facts = []
    for i, tenant in enumerate(PLANS):
        at = datetime(2026, 1 + i % 3, 5, tzinfo=UTC)
        facts.append(Fact(id=f"prov-{tenant}", kind="tenant-provisioned", tenant=tenant, at=at,
                          data={"slug": tenant, "display_name": f"{tenant.title()} Inc.", "plan": "standard",
                                "cohort": "wave-1"}))  # fmt: skip
        if tenant != "hooli":
            facts.append(Fact(id=f"onb-{tenant}", kind="tenant-onboarded", tenant=tenant, at=at + timedelta(days=1),
                              data={"slug": tenant, "cohort": "wave-1", "time_to_first_verify_s": 30}))  # fmt: skip
    for n in range(40):
        tenant = list(PLANS)[n % 4]
        facts.append(Fact(id=f"rel-{n}", kind="release-verified", tenant=tenant, at=w.start + timedelta(hours=7 * n),
                          data={"repo": f"github.com/{tenant}/svc-{n % 7}", "artifact_name": "x",
                                "artifact_sha256": "a" * 64, "build_level": 3 if n % 3 else 2, "hermetic": True,
                                "dependencies_pinned": True}))  # fmt: skip
    facts += [
        Fact(id="b1", kind="bundle-published", tenant="platform", at=datetime(2026, 3, 2, tzinfo=UTC),
             data={"bundle": "portal", "version": "3.0.0", "sha256": "3f" * 32}),
        Fact(id="b2", kind="bundle-published", tenant="platform", at=w.start + timedelta(days=9),
             data={"bundle": "portal", "version": "3.1.0", "sha256": "9c" * 32}),
    ]  # fmt: skip
    for i, tenant in enumerate(["acme", "globex", "initech"]):
        head = {"tree_size": 41 + i, "root_hash": f"{i}b" * 32, "signature": "c2ln" * 22}
        facts.append(Fact(id=f"pk-{tenant}", kind="pack-built", tenant=tenant, at=w.start + timedelta(days=3),
                          data={"pack_id": f"pk{i}", "period": str(w.months[0]), "sha256": f"{i}e" * 32,
                                "ledger_index": 40 + i, "tree_size": 41 + i, "root_hash": f"{i}b" * 32,
                                "tree_head": head}))  # fmt: skip
    return Sources(invoices, payments, probes, facts)
