"""findings.csv, credentials.csv and controls.csv from the report view (cells: audit.csv_safe)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from audit.csv_safe import to_csv_bytes
from audit.findings_file import FINDING_JSON_COLUMNS
from audit.model import CREDENTIAL_REPORT_COLUMNS, CredentialRow
from audit.report.view import ReportView, UserRow
from audit.scoring import FrameworkScore

CREDENTIALS_COLUMNS = (
    *CREDENTIAL_REPORT_COLUMNS,
    "groups",
    "attached_policies",
    "inline_policies",
    "permissions_boundary",
    "risk_score",
)
ACCESS_COLUMNS = (
    "user_name",
    "display_name",
    "email",
    "account_id",
    "permission_set",
    "path",
    "admin",
    "escalation",
    "session_duration",
)
ROLES_COLUMNS = (
    "role",
    "arn",
    "path",
    "created",
    "last_used",
    "last_used_region",
    "trust",
    "admin",
    "escalation",
    "findings",
)
CONTROLS_COLUMNS = (
    "framework",
    "control",
    "status",
    "rule_ids",
    "resources_judged",
    "resources_failing",
    "not_assessed_reason",
    "title",  # the benchmark's title of the control (appended: columns are never reordered)
)


def findings_csv(records: Sequence[Mapping[str, Any]]) -> bytes:
    """One row per finding, the columns of findings.json (records from finding_json)."""
    return to_csv_bytes(
        FINDING_JSON_COLUMNS, ([rec[c] for c in FINDING_JSON_COLUMNS] for rec in records)
    )


# A credential-report cell that could not be read (a date after the report was received, a cell
# missing from a short line) is written as this prefix and why, with the raw value where there
# was one: the field behind it holds None/False, which must not pass for data in a spreadsheet.
UNREADABLE = "unreadable: "


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
    columns = CREDENTIAL_REPORT_COLUMNS[2:]  # user and arn come from the user row
    return [
        f"{UNREADABLE}{row.unreadable[c]}" if c in row.unreadable else value
        for c, value in zip(columns, values, strict=True)
    ]


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


def credentials_rows(users: Iterable[UserRow]) -> Iterator[list[Any]]:
    """credentials.csv's rows (an organization run streams them: audit.org_streams)."""
    return (_credentials_row(u) for u in users)


def credentials_csv(view: ReportView) -> bytes:
    return to_csv_bytes(CREDENTIALS_COLUMNS, credentials_rows(view.users))


def controls_rows(frameworks: Iterable[FrameworkScore]) -> Iterator[list[Any]]:
    """controls.csv's rows (an organization run streams them: audit.org_streams)."""
    return (
        [
            c.framework,
            c.control,
            c.status,
            c.rule_ids,
            c.resources_judged,
            c.resources_failing,
            c.reason,
            c.title,
        ]
        for fw in frameworks
        for c in fw.controls
    )


def controls_csv(view: ReportView) -> bytes:
    return to_csv_bytes(CONTROLS_COLUMNS, controls_rows(view.frameworks))


def access_csv(view: ReportView) -> bytes:
    """One row per Identity Center person, account and permission set (and path)."""
    lines = view.people.lines if view.people is not None else ()
    rows = (
        [
            a.user_name,
            a.display_name,
            a.email,
            a.account_id,
            a.permission_set,
            a.path,
            "yes" if a.admin else "no",
            "yes" if a.escalation else "no",
            a.session_duration,
        ]
        for a in lines
    )
    return to_csv_bytes(ACCESS_COLUMNS, rows)


def roles_csv(view: ReportView) -> bytes:
    """roles.csv, the companion of credentials.csv: one row per role."""
    rows = (
        [
            r.name,
            r.arn,
            r.path,
            r.created,
            r.last_used,
            r.last_region,
            r.trust,
            r.admin,
            r.escalation,
            r.findings,
        ]
        for r in view.unused.roles
    )
    return to_csv_bytes(ROLES_COLUMNS, rows)
