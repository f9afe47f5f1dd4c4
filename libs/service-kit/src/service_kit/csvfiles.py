"""Reading CSV files people make (rosters, payment exports): records with the line each starts on (pure)."""

from __future__ import annotations

import csv
import io

__all__ = ["records"]


def records(
    text: str, *, skip_initial_space: bool = False
) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """(line, cells) per record, cells stripped, blank records dropped; and (line, reason) per record refused.

    A quoted field may span lines, so a record is named by the line it starts on. A record the CSV
    reader refuses (a cell over its field limit, bad quoting) becomes an error naming its line, and
    reading goes on with the next record. A UTF-8 byte order mark is dropped.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), skipinitialspace=skip_initial_space,
                        strict=True)  # fmt: skip
    found: list[tuple[int, list[str]]] = []
    refused: list[tuple[int, str]] = []
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return found, refused
        except csv.Error as exc:
            refused.append((start, f"malformed CSV: {exc}"))
        else:
            cells = [cell.strip() for cell in record]
            if any(cells):
                found.append((start, cells))
        start = reader.line_num + 1
