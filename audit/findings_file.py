"""findings.json: the one module that writes it (for every report) and reads it back (history).

The file is the issue-2 contract (audit.findings.FINDING_COLUMNS) plus the rule's details and
the accepted-risk entry, flat, so a spreadsheet can filter by owner; findings.csv has the same
columns. Reading is the inverse, for the diff and the trend of later reviews.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.findings import FINDING_COLUMNS, Finding, Severity, Status, finding_record
from audit.snapshot_io import to_jsonable

FINDINGS_FILE = "findings.json"

# An accepted risk's entry (audit.workflow.suppressions), flat so a spreadsheet can filter by owner.
SUPPRESSION_FIELDS = ("owner", "reason", "expires", "ticket")
FINDING_JSON_COLUMNS = (
    *FINDING_COLUMNS,
    "details",
    *(f"suppression_{k}" for k in SUPPRESSION_FIELDS),
)


def json_default(value: Any) -> Any:
    """What json cannot encode by itself: datetimes, enums, dataclasses, other mappings."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return to_jsonable(value) if not isinstance(value, str | int | float) else value


# --- writing --------------------------------------------------------------------------------


def finding_json(f: Finding) -> dict[str, Any]:
    record = finding_record(f)
    # Left as is: the encoder walks it natively and calls json_default only for the odd value.
    record["details"] = dict(f.details)
    for key in SUPPRESSION_FIELDS:
        record[f"suppression_{key}"] = (f.suppression or {}).get(key, "")
    return record


def findings_json(records: list[dict[str, Any]]) -> bytes:
    """The findings as a JSON list (records from finding_json, in the view's order).

    One object per line: json's C encoder only runs without indent, and 100,000 findings
    through the pure-Python indenting encoder take seconds.
    """
    encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode
    body = ",\n".join(encode(row) for row in records)
    return ("[\n" + body + "\n]\n").encode("utf-8") if records else b"[]\n"


# --- reading --------------------------------------------------------------------------------


def finding_from_record(rec: Mapping[str, Any]) -> Finding:
    """A finding back from its findings.json object (the inverse of finding_json)."""
    try:
        suppression = rec.get("suppression")
        if not isinstance(suppression, dict) and rec.get("suppression_owner"):
            # findings.json keeps the entry flat (suppression_owner, ...), like the CSV.
            suppression = {k: str(rec.get(f"suppression_{k}", "")) for k in SUPPRESSION_FIELDS}
        return Finding(
            rule_id=str(rec["rule_id"]),
            title=str(rec.get("title", "")),
            status=Status(rec["status"]),
            severity=Severity.parse(str(rec["severity"])),
            resource_type=str(rec.get("resource_type", "")),
            resource_name=str(rec.get("resource_name", "")),
            resource_arn=str(rec.get("resource_arn", "")),
            message=str(rec.get("message", "")),
            controls=tuple(str(c) for c in rec.get("controls", ())),
            remediation=str(rec.get("remediation", "")),
            details=dict(rec.get("details") or {}),
            suppression=dict(suppression) if isinstance(suppression, dict) else None,
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"finding record is malformed: {exc}") from None


def read_findings(path: Path) -> tuple[Finding, ...]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"findings file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read findings {path}: {exc}") from None
    if not isinstance(doc, list):
        raise InputError(f"{path}: not a findings list")
    try:
        return tuple(finding_from_record(rec) for rec in doc)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
