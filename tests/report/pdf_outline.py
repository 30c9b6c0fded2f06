"""A PDF's bookmarks read back with pypdf (the look pin in test_pdf.py, bench/pdf_look.py)."""

from __future__ import annotations

from typing import Any

from pypdf import PdfReader


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, page index) of every bookmark, in document order."""
    rows: list[tuple[int, str, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                rows.append((level, str(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return rows
