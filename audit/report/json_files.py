"""findings.json (the issue-2 contract plus details) and summary.json (for dashboards)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from audit.findings import FINDING_COLUMNS, Finding, finding_record
from audit.report.view import ReportView
from audit.snapshot_io import to_jsonable

# findings.json / findings.csv columns: the contract's, then what the report adds.
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


def finding_json(f: Finding) -> dict[str, Any]:
    record = finding_record(f)
    # Left as is: the encoder walks it natively and calls json_default only for the odd value.
    record["details"] = dict(f.details)
    for key in SUPPRESSION_FIELDS:
        record[f"suppression_{key}"] = (f.suppression or {}).get(key, "")
    return record


def _dump(doc: Any) -> bytes:
    text = json.dumps(doc, indent=1, ensure_ascii=False, default=json_default)
    return (text + "\n").encode("utf-8")


def _dump_rows(rows: list[dict[str, Any]]) -> bytes:
    """A JSON list with one object per line: json's C encoder only runs without indent,
    and 100,000 findings through the pure-Python indenting encoder take seconds."""
    encode = json.JSONEncoder(ensure_ascii=False, default=json_default).encode
    body = ",\n".join(encode(row) for row in rows)
    return ("[\n" + body + "\n]\n").encode("utf-8") if rows else b"[]\n"


def findings_json(records: list[dict[str, Any]]) -> bytes:
    """The findings as a JSON list (records from finding_json, in the view's order)."""
    return _dump_rows(records)


def summary(view: ReportView) -> dict[str, Any]:
    return {
        "account_id": view.account_id,
        "account_alias": view.account_alias,
        "partition": view.partition,
        "source": view.source,
        "tool_version": view.tool_version,
        "collected_at": view.collected_at.isoformat(),
        "credential_report_generated_at": (
            view.credential_report_at.isoformat() if view.credential_report_at else None
        ),
        "as_of": view.as_of.isoformat(),
        "snapshot_sha256": view.snapshot_sha256,
        "posture_score": view.posture,
        "failing_by_severity": dict(view.failing_by_severity),
        "findings_by_status": dict(view.status_counts),
        "collection_complete": view.coverage_complete,
        "frameworks": [
            {
                "framework": fw.framework,
                "passed": fw.passed,
                "failed": fw.failed,
                "assessed": fw.assessed,
                "not_assessed": len(fw.not_assessed),
                "percent": None if fw.percent is None else round(fw.percent, 1),
            }
            for fw in view.frameworks
        ],
        "rules": [
            {
                "rule_id": r.rule_id,
                "severity": r.severity.label,
                "status": r.status,
                "passed": r.passed,
                "failed": r.failed,
                "not_assessed": r.not_assessed,
                "errors": r.errors,
            }
            for r in view.rules
        ],
        "top_user_risks": [
            {"user": r.user, "risk_score": r.score, "failing": r.failing, "rules": list(r.rule_ids)}
            for r in view.top_users
        ],
        "effective_admins": [a.user for a in view.admin_paths],
    }


def summary_json(view: ReportView) -> bytes:
    return _dump(summary(view))
