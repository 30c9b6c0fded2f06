"""Excel-safe CSV bytes: the one place that writes CSV cells, for the reports and the diff.

UTF-8 with a BOM (Excel otherwise guesses the code page), ISO 8601 dates, a header row, lists
joined with "; ", and formula injection neutralised: IAM names may legally start with "=" or "@".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from audit.findings_file import json_default

# A spreadsheet reads a cell starting with one of these as a formula (or DDE payload); some
# also read the full-width signs (U+FF1D/FF0B/FF0D/FF20) as their ASCII forms.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def neutralise(text: str) -> str:
    """Prefix a quote so a spreadsheet shows the cell as text, never evaluates it.

    Leading blanks do not hide a formula: spreadsheets skip them (" =1+2" still evaluates).
    """
    first = text[:1]
    if first in _FORMULA_START:
        return "'" + text
    if first.isspace() and text.lstrip()[:1] in _FORMULA_START:
        return "'" + text
    return text


def cell(value: Any) -> str:
    # Called for every cell of 100,000-row files: the common types are checked first, exactly.
    kind = type(value)
    if kind is str:
        return neutralise(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return neutralise(str(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise("; ".join(v if type(v) is str else cell(v) for v in value))
    if isinstance(value, dict):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=json_default)
        return neutralise(text)
    return neutralise(str(value))


def to_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")
