"""The access-review workbook (xlsx, openpyxl) and its CSV twin: written and read back.

Sheets: "Cover" (account(s), as-of time, snapshot SHA-256, instructions), "All" (every item),
then one sheet per reviewer. Every data sheet has a frozen header row, an auto-filter, column
widths that fit, and a drop-down (data validation) on the Decision column. Every cell is text,
neutralised by audit.csv_safe.neutralise (IAM names may start with "=" or "@"), so what is read
back is exactly what was written.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from audit.csv_safe import neutralise, to_csv_bytes
from audit.errors import InputError
from audit.workflow.access_review import (
    COLUMNS,
    DECISIONS,
    ReviewExport,
    ReviewRow,
    SheetRow,
)

COVER_SHEET = "Cover"
ALL_SHEET = "All"
LISTS_NAME = "DecisionList"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 60

INSTRUCTIONS = (
    "Each row is one access item. In your sheet, set Decision to Keep, Modify or Revoke "
    "(drop-down), explain Modify and Revoke in Comment, and write the day in Reviewed on.",
    "Do not edit the other columns, add rows or move rows between sheets: every row carries an "
    "item id and a hash of its content, and the import refuses a workbook with altered rows.",
    "The All sheet lists every item; a decision may be written there or on the reviewer's "
    "sheet (the same item decided differently in two places is refused).",
    "Return the workbook; it is read back with: iam-audit review import WORKBOOK --run RUN_DIR",
)


def sheet_title(reviewer: str, taken: set[str]) -> str:
    """A valid, unique sheet title for a reviewer (31 characters, no []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("_", reviewer).strip("'") or "reviewer"
    base = base[:31]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _row_values(row: ReviewRow) -> list[str]:
    cells = row.cells()
    values = {**cells, "Item id": row.item.item_id, "Row hash": row.row_hash}
    return [values.get(c, "") for c in COLUMNS]


def _data_sheet(ws: Worksheet, rows: Sequence[ReviewRow]) -> None:
    ws.append(list(COLUMNS))
    widths = [len(c) for c in COLUMNS]
    for row in rows:
        values = [neutralise(v) for v in _row_values(row)]
        ws.append(values)
        widths = [max(w, len(v)) for w, v in zip(widths, values, strict=True)]
    ws.freeze_panes = "A2"
    last = get_column_letter(len(COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(width + 2, _MAX_WIDTH)
    decision = get_column_letter(COLUMNS.index("Decision") + 1)
    validation = DataValidation(
        type="list",
        formula1=f"={LISTS_NAME}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error=f"Choose {', '.join(DECISIONS)}.",
    )
    validation.add(f"{decision}2:{decision}{max(len(rows) + 1, 2)}")
    ws.add_data_validation(validation)


def _cover(wb: Workbook, ws: Worksheet, export: ReviewExport, titles: dict[str, str]) -> None:
    lines: list[tuple[str, str]] = [
        ("iam-audit access review", ""),
        ("Account(s)", ", ".join(export.accounts)),
        ("As of", export.as_of.isoformat()),
        ("Snapshot SHA-256", export.snapshot_sha256),
        ("Run folder", str(export.run_dir)),
        ("Items", str(len(export.rows))),
        ("Reviewers", str(len(export.reviewers))),
        (
            "Unmatched items",
            f"{export.unmatched} (no owner entry or owner tag: sent to {export.default_reviewer})",
        ),
        ("", ""),
        ("Instructions", ""),
        *(("", line) for line in INSTRUCTIONS),
        ("", ""),
        ("Reviewer", "Sheet"),
        *((r, titles[r]) for r in export.reviewers),
        ("", ""),
        ("Decisions", ", ".join(DECISIONS)),  # the drop-down's source (named range)
    ]
    for label, value in lines:
        ws.append([neutralise(label), neutralise(value)])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 100
    # The drop-down list lives in hidden cells of the cover: a list written inline in the
    # validation is limited to 255 characters and cannot be named.
    row = ws.max_row + 1
    for offset, name in enumerate(DECISIONS):
        ws.cell(row=row + offset, column=4, value=name)
    ws.column_dimensions["D"].hidden = True
    ref = f"'{COVER_SHEET}'!$D${row}:$D${row + len(DECISIONS) - 1}"
    wb.defined_names[LISTS_NAME] = DefinedName(LISTS_NAME, attr_text=ref)


def workbook_bytes(export: ReviewExport) -> bytes:
    wb = Workbook()
    cover = wb.active
    assert cover is not None  # a new workbook always has one sheet
    cover.title = COVER_SHEET
    taken = {COVER_SHEET.lower(), ALL_SHEET.lower()}
    titles = {r: sheet_title(r, taken) for r in export.reviewers}
    _cover(wb, cover, export, titles)
    _data_sheet(wb.create_sheet(ALL_SHEET), export.rows)
    for reviewer in export.reviewers:
        mine = [r for r in export.rows if r.reviewer == reviewer]
        _data_sheet(wb.create_sheet(titles[reviewer]), mine)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(export: ReviewExport) -> bytes:
    return to_csv_bytes(COLUMNS, (_row_values(r) for r in export.rows))


# --- reading back -----------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as the text that was written: dates typed by a reviewer become ISO days."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # Undo the neutralising quote: the hash covers what was exported, before neutralising.
    if text.startswith("'") and neutralise(text[1:]) == text:
        return text[1:]
    return text


def _header_problem(header: Sequence[str], where: str) -> str | None:
    missing = [c for c in COLUMNS if c not in header]
    return f"{where}: missing column(s) {', '.join(missing)}" if missing else None


def _rows_of(
    records: Iterable[Sequence[Any]], sheet: str, reviewer: str | None
) -> Iterator[SheetRow]:
    it = iter(records)
    header = [_text(v) for v in next(it, ())]
    problem = _header_problem(header, f"sheet {sheet!r}")
    if problem:
        raise InputError(f"unusable workbook: {problem}")
    for line, values in enumerate(it, start=2):
        texts = [_text(v) for v in values]
        if not any(texts):
            continue
        cells = dict(zip(header, texts, strict=False))
        yield SheetRow(sheet=sheet, line=line, sheet_reviewer=reviewer, cells=cells)


def _cover_value(ws: Any, label: str) -> str:
    for row in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if _text(row[0]) == label:
            return _text(row[1])
    return ""


def read_workbook(path: Path) -> tuple[dict[str, str], list[SheetRow]]:
    """The cover's facts and every data row of the workbook; InputError when unusable."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError(f"workbook not found: {path}") from None
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"unusable workbook {path}: not an xlsx workbook ({exc})") from None
    try:
        if COVER_SHEET not in wb.sheetnames or ALL_SHEET not in wb.sheetnames:
            raise InputError(
                f"unusable workbook {path}: no {COVER_SHEET!r} or {ALL_SHEET!r} sheet "
                "(not exported by iam-audit review export)"
            )
        cover: Any = wb[COVER_SHEET]  # a read-only worksheet: rows only
        facts = {k: _cover_value(cover, k) for k in ("Snapshot SHA-256", "Run folder")}
        reviewer_by_title = {title: reviewer for reviewer, title in _reviewer_sheets(cover)}
        rows: list[SheetRow] = []
        for name in wb.sheetnames:
            if name == COVER_SHEET:
                continue
            reviewer = None if name == ALL_SHEET else reviewer_by_title.get(name, name)
            sheet: Any = wb[name]
            rows += _rows_of(sheet.iter_rows(values_only=True), name, reviewer)
        return facts, rows
    finally:
        wb.close()


def _reviewer_sheets(cover: Any) -> Iterator[tuple[str, str]]:
    inside = False
    for row in cover.iter_rows(min_col=1, max_col=2, values_only=True):
        label, value = _text(row[0]), _text(row[1])
        if label == "Reviewer" and value == "Sheet":
            inside = True
            continue
        if inside:
            if not label:
                return
            yield label, value


def read_csv(path: Path) -> list[SheetRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"review file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"unusable review file {path}: {exc}") from None
    return list(_rows_of(csv.reader(io.StringIO(text)), "csv", None))
