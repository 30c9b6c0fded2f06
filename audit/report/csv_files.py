"""findings.csv, credentials.csv and controls.csv: Excel-safe CSV from the report view.

UTF-8 with a BOM (Excel otherwise guesses the code page), ISO 8601 dates, a header row, lists
joined with "; ", and formula injection neutralised: IAM names may legally start with "=" or "@".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from audit.model import CREDENTIAL_REPORT_COLUMNS, CredentialRow
from audit.report.json_files import FINDING_JSON_COLUMNS, json_default
from audit.report.view import ReportView, UserRow

# A spreadsheet reads a cell starting with one of these as a formula (or DDE payload); some
# also read the full-width signs (U+FF1D/FF0B/FF0D/FF20) as their ASCII forms.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

CREDENTIALS_COLUMNS = (
    *CREDENTIAL_REPORT_COLUMNS,
    "groups",
    "attached_policies",
    "inline_policies",
    "permissions_boundary",
    "risk_score",
)
CONTROLS_COLUMNS = (
    "framework",
    "control",
    "status",
    "rule_ids",
    "resources_judged",
    "resources_failing",
    "not_assessed_reason",
)


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


def findings_csv(records: Sequence[Mapping[str, Any]]) -> bytes:
    """One row per finding, the columns of findings.json (records from finding_json)."""
    return to_csv_bytes(
        FINDING_JSON_COLUMNS, ([rec[c] for c in FINDING_JSON_COLUMNS] for rec in records)
    )


def _dated(row: CredentialRow, column: str, value: datetime | None) -> Any:
    # Keep what AWS wrote where there is no date: "N/A" (no such credential) is not
    # "no_information" (never used).
    return value if value is not None else row.sentinel(column) or ""


def _credential_values(row: CredentialRow | None) -> list[Any]:
    if row is None:
        return [""] * (len(CREDENTIAL_REPORT_COLUMNS) - 2)
    values: list[Any] = [
        _dated(row, "user_creation_time", row.user_creation_time),
        row.password_enabled
        if row.password_enabled is not None
        else row.sentinel("password_enabled") or "",
        _dated(row, "password_last_used", row.password_last_used),
        _dated(row, "password_last_changed", row.password_last_changed),
        _dated(row, "password_next_rotation", row.password_next_rotation),
        row.mfa_active,
    ]
    keys = {k.slot: k for k in row.access_keys}
    for slot in (1, 2):
        key = keys.get(slot)
        prefix = f"access_key_{slot}_"
        if key is None:
            values += [False, "N/A", "N/A", "N/A", "N/A"]
            continue
        values += [
            key.active,
            _dated(row, prefix + "last_rotated", key.last_rotated),
            _dated(row, prefix + "last_used_date", key.last_used),
            key.last_used_region or row.sentinel(prefix + "last_used_region") or "",
            key.last_used_service or row.sentinel(prefix + "last_used_service") or "",
        ]
    certs = {c.slot: c for c in row.certificates}
    for slot in (1, 2):
        cert = certs.get(slot)
        if cert is None:
            values += [False, "N/A"]
        else:
            values += [cert.active, _dated(row, f"cert_{slot}_last_rotated", cert.last_rotated)]
    return values


def _credentials_row(user: UserRow) -> list[Any]:
    return [
        user.name,
        user.arn,
        *_credential_values(user.credential),
        user.groups,
        user.attached_policies,
        user.inline_policies,
        user.boundary,
        user.risk,
    ]


def credentials_csv(view: ReportView) -> bytes:
    return to_csv_bytes(CREDENTIALS_COLUMNS, (_credentials_row(u) for u in view.users))


def controls_csv(view: ReportView) -> bytes:
    rows = (
        [
            c.framework,
            c.control,
            c.status,
            c.rule_ids,
            c.resources_judged,
            c.resources_failing,
            c.reason,
        ]
        for fw in view.frameworks
        for c in fw.controls
    )
    return to_csv_bytes(CONTROLS_COLUMNS, rows)
