"""Rendering a board pack to PDF with Typst: the template, the charts and the data in one deterministic compile."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import matplotlib
import typst

from board.charts import charts
from board.document import view
from board.pack import BoardPack

TEMPLATE = files("board") / "templates" / "board-pack.typ"
FONTS = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")


def pack_json(pack: BoardPack) -> bytes:
    """The data attached to the PDF: every figure and hash, canonical (sorted keys) so the bytes repeat."""
    return json.dumps(pack.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()


def render(pack: BoardPack, *, incomplete: bool = False) -> bytes:
    """The PDF of `pack`: the same pack gives the same bytes (the document's date is the window's last second)."""
    last = datetime.fromtimestamp(pack.end.timestamp() - 1, UTC)
    inputs = {
        "view": json.dumps(view(pack), sort_keys=True),
        "data": pack_json(pack).decode(),
        "incomplete": "yes" if incomplete else "",
        "year": str(last.year),
        "month": str(last.month),
        "day": str(last.day),
    }
    with tempfile.TemporaryDirectory(prefix="board-pack-") as tmp:
        root = Path(tmp)
        (root / "board-pack.typ").write_bytes(TEMPLATE.read_bytes())
        for name, data in charts(pack).items():
            (root / name).write_bytes(data)
        compiler = typst.Compiler(
            str(root / "board-pack.typ"), root=str(root), font_paths=[FONTS], ignore_system_fonts=True,
            sys_inputs=inputs,
        )  # fmt: skip
        pdf = compiler.compile(timestamp=int(last.timestamp()))
    if not isinstance(pdf, bytes):  # one PDF document, never a page list (that is for images)
        raise TypeError(f"Typst returned {type(pdf).__name__}, not a PDF")
    return pdf
