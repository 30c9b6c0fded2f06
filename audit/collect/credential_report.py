"""Parse the IAM credential report (CSV bytes) into :class:`audit.model.CredentialRow`.

Pure: no AWS calls. Columns are read by header name, never by position, because AWS may add
columns; the ones this version does not know are kept verbatim in ``CredentialRow.extra``.
Every column AWS documents is required: one missing (or renamed) would read as blank, and a
blank ``access_key_1_active`` as "no active key". ``N/A``, ``no_information`` and
``not_supported`` become ``None`` and the sentinel is kept in ``CredentialRow.sentinels`` so
rules can tell "never used" from "unknown". A cell a short line lacks, or a date after the
report was received, is recorded in ``CredentialRow.unreadable``: rules that read that column
report the user as not assessed. The format and its sentinels: docs/credential-report.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from audit.errors import InputError
from audit.model import (
    CREDENTIAL_REPORT_COLUMNS,
    CredentialRow,
    ReportAccessKey,
    ReportCertificate,
    Sentinel,
)

# The 22 columns AWS documents, in its order, all required. Anything else goes to ``extra``.
COLUMNS = CREDENTIAL_REPORT_COLUMNS
REQUIRED_COLUMNS = COLUMNS
# Dates AWS sets ahead of time: the only ones that may lie after the report was made.
_FUTURE_BY_DESIGN = frozenset({"password_next_rotation"})
_SENTINELS = {s.value: s for s in Sentinel}


class CredentialReportError(InputError):
    """The credential report is not a CSV this parser can read."""


class _Row:
    """Typed access to one CSV row that records every sentinel it meets."""

    def __init__(
        self, raw: Mapping[str, str | None], line: int, cells: int, not_after: datetime | None
    ) -> None:
        self.raw = raw
        self.line = line
        self.cells = cells
        self.not_after = not_after
        self.sentinels: dict[str, str] = {}
        self.unreadable: dict[str, str] = {}

    def _value(self, column: str) -> str | None:
        cell = self.raw.get(column)
        if cell is None:  # the line stopped before this column
            self.unreadable[column] = (
                f"missing (line {self.line} has {self.cells} of {len(self.raw)} cells)"
            )
            return None
        value = cell.strip()
        if value in _SENTINELS:
            self.sentinels[column] = value
            return None
        return value

    def text(self, column: str) -> str | None:
        return self._value(column)

    def flag(self, column: str) -> bool | None:
        value = self._value(column)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise CredentialReportError(
            f"credential report line {self.line}: {column} is {value!r}, expected true/false"
        )

    def when(self, column: str) -> datetime | None:
        value = self._value(column)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise CredentialReportError(
                f"credential report line {self.line}: {column} is {value!r}, "
                "expected an ISO 8601 timestamp"
            ) from None
        # AWS always writes an offset; a naive value can only mean UTC.
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        if self.not_after is not None and when > self.not_after and column not in _FUTURE_BY_DESIGN:
            # A key "rotated in 2099" would be -26,000 days old, and pass: impossible data.
            bound = self.not_after.isoformat(timespec="seconds")
            self.unreadable[column] = f"{value} is after the report was received ({bound})"
            return None
        return when


def _access_key(row: _Row, slot: int) -> ReportAccessKey:
    prefix = f"access_key_{slot}_"
    return ReportAccessKey(
        slot=slot,
        active=bool(row.flag(prefix + "active")),
        last_rotated=row.when(prefix + "last_rotated"),
        last_used=row.when(prefix + "last_used_date"),
        last_used_region=row.text(prefix + "last_used_region"),
        last_used_service=row.text(prefix + "last_used_service"),
    )


def _certificate(row: _Row, slot: int) -> ReportCertificate:
    prefix = f"cert_{slot}_"
    return ReportCertificate(
        slot=slot,
        active=bool(row.flag(prefix + "active")),
        last_rotated=row.when(prefix + "last_rotated"),
    )


def _parse_row(
    raw: Mapping[str, str | None], line: int, known: set[str], not_after: datetime | None
) -> CredentialRow:
    cells = sum(1 for v in raw.values() if v is not None)
    row = _Row(raw, line, cells, not_after)
    user = (raw.get("user") or "").strip()
    arn = (raw.get("arn") or "").strip()
    if not user or not arn:
        raise CredentialReportError(f"credential report line {line}: user or arn is empty")
    return CredentialRow(
        user=user,
        arn=arn,
        user_creation_time=row.when("user_creation_time"),
        password_enabled=row.flag("password_enabled"),
        password_last_used=row.when("password_last_used"),
        password_last_changed=row.when("password_last_changed"),
        password_next_rotation=row.when("password_next_rotation"),
        mfa_active=bool(row.flag("mfa_active")),
        access_keys=(_access_key(row, 1), _access_key(row, 2)),
        certificates=(_certificate(row, 1), _certificate(row, 2)),
        sentinels=dict(row.sentinels),
        extra={k: v or "" for k, v in raw.items() if k not in known},
        unreadable=dict(row.unreadable),
    )


def _rejoin_user_name(raw: dict[str, Any], header: Sequence[str], line: int) -> dict[str, Any]:
    """Repair a row whose user name holds commas (IAM allows them) and was not quoted.

    A name with c commas adds c cells to the user column and, as the ARN ends with the name,
    c more to the arn column when that is unquoted too. The ARN is the cell starting "arn:".
    """
    cells = [raw.get(h) or "" for h in header] + list(raw["__overflow__"])
    extra = len(cells) - len(header)
    if list(header[:2]) == ["user", "arn"]:
        for commas, arn_cells in ((extra // 2, extra // 2 + 1), (extra, 1)):
            if commas + arn_cells - 1 != extra or not cells[1 + commas].startswith("arn:"):
                continue
            user = ",".join(cells[: 1 + commas])
            arn = ",".join(cells[1 + commas : 1 + commas + arn_cells])
            if arn.endswith(user):
                rest = cells[1 + commas + arn_cells :]
                return dict(zip(header, [user, arn, *rest], strict=True))
    raise CredentialReportError(f"credential report line {line}: more cells than header columns")


def parse_credential_report(
    content: bytes, *, not_after: datetime | None = None
) -> tuple[CredentialRow, ...]:
    """Normalise the CSV AWS returns from ``GetCredentialReport`` (``Content``, decoded bytes).

    ``not_after``: when the report was received; a date after it (other than the planned
    next password rotation) is impossible and recorded as unreadable, not read as a value.
    Raises :class:`CredentialReportError` (one line) when the content is not such a CSV.
    """
    try:
        # utf-8-sig: tolerate a byte-order mark from a report saved by a spreadsheet.
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CredentialReportError(f"credential report is not UTF-8 text: {exc}") from None
    # csv keeps every cell a string: user names such as "null" or "NA" survive as written.
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="__overflow__")
    header = reader.fieldnames
    if not header:
        raise CredentialReportError("credential report is empty (no header line)")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise CredentialReportError(
            f"credential report lacks the {noun} {', '.join(missing)} "
            f"(AWS documents {len(REQUIRED_COLUMNS)}; the header has {len(header)})"
        )
    known = set(COLUMNS)
    rows: list[CredentialRow] = []
    try:
        for raw in reader:
            if "__overflow__" in raw:
                raw = _rejoin_user_name(raw, header, reader.line_num)
            if not any((v or "").strip() for v in raw.values()):
                continue  # a blank line
            rows.append(_parse_row(raw, reader.line_num, known, not_after))
    except csv.Error as exc:
        raise CredentialReportError(
            f"credential report line {reader.line_num}: bad CSV: {exc}"
        ) from None
    return tuple(rows)
