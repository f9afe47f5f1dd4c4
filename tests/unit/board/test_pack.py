"""The board pack: its figures from the sources, a byte-identical PDF, the printed text equal to the figures,
the data and links inside the PDF. Pages go to test-artifacts/board/ as PNG, to be looked at."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from board.document import amounts
from board.money import shown
from board.pack import BoardPack, board_pack
from board.render import pack_json, render
from board.windows import window

from tests.unit.board.sample_pack import SETTINGS, sources

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts/board"


@pytest.fixture(scope="module")
def may() -> BoardPack:
    w = window("2026-05")
    return board_pack(w, sources(w), SETTINGS)


@pytest.fixture(scope="module")
def pdf(may: BoardPack) -> bytes:
    return render(may)


def text_of(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def test_the_windows_are_a_month_a_quarter_and_a_quarter_to_the_15th_of_its_middle_month():
    assert (window("2026-05").start, window("2026-05").end) == (datetime(2026, 5, 1, tzinfo=UTC),
                                                               datetime(2026, 6, 1, tzinfo=UTC))  # fmt: skip
    q2 = window("2026-Q2")
    assert [str(m) for m in q2.months] == ["2026-04", "2026-05", "2026-06"]
    mid = window("mid-Q2-2026")
    assert (mid.start, mid.end) == (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 16, tzinfo=UTC))
    assert [str(m) for m in mid.months] == ["2026-04", "2026-05"]
    with pytest.raises(ValueError, match="mid-Qn-YYYY"):
        window("mid-2026")


def test_the_headline_figures_come_from_the_sources(may: BoardPack):
    h = may.headline
    assert h.north_star_verified_releases == 40
    assert (h.tenants_with_pack, h.active_tenants, h.evidence_coverage) == (3, 4, 0.75)
    assert (h.partners_onboarded, h.partners_in_progress) == (4, 1)
    assert h.repos_at_l3 == len({r.repo for r in may.repos if r.build_level == 3})
    assert h.mrr_month == "2026-05"
    assert h.mrr[0].mrr_minor == 199000 * 3 + 890000 + 49000
    assert may.sla.bad_minutes == 9 and may.sla.state == "met"
    assert [b.version for b in may.bundles] == ["3.0.0", "3.1.0"]  # the one in force at the start, then the new one
    assert [p.ledger_index for p in may.packs] == [40, 41, 42]
    assert may.tree_head is not None and may.tree_head["tree_size"] == 43


def test_two_builds_from_the_same_events_are_byte_identical(may: BoardPack, pdf: bytes):
    w = window("2026-05")
    assert render(board_pack(w, sources(w), SETTINGS)) == pdf


def test_the_figures_printed_in_the_pdf_equal_the_projections(may: BoardPack, pdf: bytes):
    text = text_of(pdf)
    h = may.headline
    expected = [
        f"{100 * (h.availability or 0):.3f}%",
        f"{h.north_star_verified_releases}",
        shown(h.mrr[0].mrr_minor, "EUR"),
        amounts(h.revenue_mtd),
        f"{h.budget_burned_pct:.1f}%",
        *(p.sha256 for p in may.packs),
        *(b.sha256 for b in may.bundles),
        "status 503",
        *(i.reason for r in may.revenue for i in r.issues),
    ]
    missing = [figure for figure in expected if figure not in text]
    assert not missing, missing


def test_the_pdf_carries_its_data_and_its_links(may: BoardPack, pdf: bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    (attached,) = reader.attachments["board-pack.json"]
    assert attached == pack_json(may)
    assert json.loads(attached)["headline"]["north_star_verified_releases"] == 40
    uris = {annot.get_object()["/A"]["/URI"] for page in reader.pages for annot in page.get("/Annots", [])
            if "/A" in annot.get_object()}  # fmt: skip
    assert uris == set(may.links.values())
    assert reader.metadata is not None and reader.metadata.title == "Board pack 2026-05"


def test_the_pages_are_rendered_to_png_for_a_person_to_look_at(pdf: bytes):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(doc)):
            image = doc[i].render(scale=1.5).to_pil()
            assert image.size[0] > 800
            image.save(ARTIFACTS / f"board-2026-05-page-{i + 1}.png")
    finally:
        doc.close()
    assert len(list(ARTIFACTS.glob("board-2026-05-page-*.png"))) == len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_a_month_under_way_reports_its_sla_up_to_the_newest_record_not_the_minutes_still_to_come():
    from datetime import timedelta

    from board.facts import Fact
    from board.pack import Sources

    from tests.unit.board.factories import every_10s

    w = window("2026-12")
    probes = every_10s(w.start, w.start + timedelta(days=2))
    pack = board_pack(w, Sources([], [], probes, []), SETTINGS)
    assert pack.sla.minutes_elapsed == 2 * 24 * 60
    assert pack.sla.unknown_minutes == 0 and pack.sla.gaps == ()
    later = board_pack(w, Sources([], [], probes + every_10s(w.end, w.end + timedelta(minutes=1)), []), SETTINGS)
    assert later.sla.minutes_elapsed == 31 * 24 * 60  # a record after the month: the month is over
    assert later.sla.unknown_minutes == 29 * 24 * 60
    receipt = Fact(id="a", kind="anchored", tenant="platform", at=w.end + timedelta(days=3), data={})
    rebuilt = board_pack(w, Sources([], [], probes, [receipt]), SETTINGS)
    assert render(rebuilt) == render(pack)  # the ledger's receipt for a built pack changes nothing in the next


def test_the_schedules_mean_last_month_and_this_quarter_to_its_middle_months_15th():
    from board.cli import scheduled_period

    now = datetime(2026, 5, 16, 6, tzinfo=UTC)
    assert scheduled_period(None, True, False, now) == "2026-04"
    assert scheduled_period(None, False, True, now) == "mid-Q2-2026"
    assert scheduled_period(None, True, False, datetime(2026, 1, 1, tzinfo=UTC)) == "2025-12"
    assert scheduled_period("2026-Q1", False, False, now) == "2026-Q1"
    with pytest.raises(Exception, match="exactly one"):
        scheduled_period("2026-05", True, False, now)


def test_a_months_evidence_pack_built_after_it_ended_is_listed_with_the_tree_head_that_holds_it():
    from board.facts import Fact
    from board.pack import Sources

    w = window("2026-05")
    found = sources(w)
    late = Fact(id="pk-late", kind="pack-built", tenant="umbrella", at=w.end + timedelta(hours=2),
                data={"pack_id": "pk-late", "period": "2026-05", "sha256": "7e" * 32, "ledger_index": 50,
                      "tree_size": 51, "tree_head": {"tree_size": 51, "root_hash": "7b" * 32}})  # fmt: skip
    june = Fact(id="pk-june", kind="pack-built", tenant="acme", at=w.end + timedelta(days=31),
                data={"pack_id": "pk-june", "period": "2026-06", "sha256": "8e" * 32, "ledger_index": 60,
                      "tree_size": 61, "tree_head": {"tree_size": 61, "root_hash": "8b" * 32}})  # fmt: skip
    pack = board_pack(w, Sources(found.invoices, found.payments, found.probes, [*found.facts, late, june]), SETTINGS)
    assert [p.ledger_index for p in pack.packs] == [40, 41, 42, 50]  # June's pack is not May's
    assert pack.tree_head is not None and pack.tree_head["tree_size"] == 51
